"""Poison events: retried a bounded number of times with back-off, then dead-lettered,
listed and replayed by the operator's command; the other events keep flowing.

Over real RabbitMQ with the probe service (tests/support/probe), whose handler
fails for the person ids in `ProbeService.broken`: a bug, until the test fixes it.
"""

import json
import os
import subprocess
import sys
import time

import pytest
from kombu import Connection, Producer
from nameko.standalone.rpc import ServiceRpcProxy
from probe.service import ProbeService
from waiting import wait_until

from yzw_kernel import dead_letters
from yzw_kernel.contracts import Subscription
from yzw_kernel.envelope import make_envelope
from yzw_kernel.outbox import event_exchange

QUEUE = Subscription("grid", "person_registered", "probe", "on_person_registered").queue_name
RETRIES = {"EVENT_MAX_ATTEMPTS": 4, "EVENT_RETRY_DELAY": 0.3, "EVENT_RETRY_DELAY_MAX": 5}


def person(person_id):
    return {
        "person_id": person_id,
        "name": "张大妈",
        "household_id": None,
        "grid_id": None,
        "community_id": None,
        "party_member": False,
    }


def publish(amqp_uri, body):
    with Connection(amqp_uri) as connection:
        Producer(connection.default_channel).publish(
            body if isinstance(body, str) else json.dumps(body),
            exchange=event_exchange("grid"),
            routing_key="person_registered",
            content_type="application/json",
            delivery_mode=2,
        )


def operator(amqp_uri, *args):
    """The documented command, as an operator runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "yzw_kernel.dead_letters", *args],
        env={**os.environ, "AMQP_URI": amqp_uri},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def probe(container_factory, test_config, tmp_path):
    # retries and dead letters live in the broker, not the database: SQLite is enough
    ProbeService.broken = set()
    ProbeService.attempts = {}
    database_url = f"sqlite:///{tmp_path}/probe.sqlite3"
    container = container_factory(
        ProbeService, {**test_config, **RETRIES, "DATABASE_URL": database_url}
    )
    container.start()
    with ServiceRpcProxy("probe", test_config, timeout=10) as rpc:
        yield rpc
    ProbeService.broken = set()


def test_a_poisoned_event_is_retried_then_dead_lettered_and_a_replay_after_the_fix_has_its_effect_once(  # noqa: E501
    probe, test_config
):
    amqp_uri = test_config["AMQP_URI"]
    ProbeService.broken = {"p-poison"}
    poison = make_envelope("grid", "person_registered", person("p-poison"))
    started = time.monotonic()
    publish(amqp_uri, poison)
    for n in range(5):
        publish(amqp_uri, make_envelope("grid", "person_registered", person(f"p-good-{n}")))

    # the others flow while the poisoned one waits out its back-off
    wait_until(lambda: probe.effects() == 5, timeout=10, message="the good events")
    flowed_after = time.monotonic() - started
    assert dead_letters.list_dead_letters(amqp_uri) == []

    wait_until(
        lambda: len(dead_letters.list_dead_letters(amqp_uri)) == 1,
        timeout=20,
        message="the poisoned event in the dead-letter queue",
    )
    dead_after = time.monotonic() - started
    (letter,) = dead_letters.list_dead_letters(amqp_uri)
    assert letter.event_id == poison["id"]
    assert letter.event_type == "grid.person_registered"
    assert letter.queue == QUEUE
    assert letter.attempts == RETRIES["EVENT_MAX_ATTEMPTS"]
    assert "a bug in the handler, for p-poison" in letter.error
    # bounded: exactly the configured attempts, with back-off 0.3 + 0.6 + 1.2 s between them
    assert ProbeService.attempts["p-poison"] == RETRIES["EVENT_MAX_ATTEMPTS"]
    assert dead_after >= 0.3 + 0.6 + 1.2
    assert flowed_after < dead_after
    assert probe.effects_for("p-poison") == 0
    # listing takes nothing out; the command shows it
    listed = operator(amqp_uri, "list")
    assert "1 dead letter(s)" in listed and poison["id"] in listed and QUEUE in listed

    ProbeService.broken = set()  # the fix is deployed
    replayed = operator(amqp_uri, "replay", "--event", poison["id"])
    assert "replayed 1 dead letter(s)" in replayed

    wait_until(lambda: probe.effects_for("p-poison") == 1, timeout=10, message="the replay")
    assert dead_letters.list_dead_letters(amqp_uri) == []
    # the same event once more (a second replay, a duplicate): no second effect
    publish(amqp_uri, poison)
    wait_until(
        lambda: ProbeService.attempts["p-poison"] == RETRIES["EVENT_MAX_ATTEMPTS"] + 1,
        timeout=5,
        message="the replayed event to be handled",
    )
    time.sleep(0.5)
    assert probe.effects_for("p-poison") == 1
    assert probe.effects() == 6


def test_an_unreadable_event_goes_to_the_dead_letter_queue_at_once(probe, test_config):
    amqp_uri = test_config["AMQP_URI"]
    publish(amqp_uri, {"id": "not-an-envelope"})
    publish(amqp_uri, make_envelope("grid", "person_registered", person("p-after")))

    wait_until(
        lambda: len(dead_letters.list_dead_letters(amqp_uri)) == 1,
        timeout=10,
        message="the unreadable event in the dead-letter queue",
    )
    (letter,) = dead_letters.list_dead_letters(amqp_uri, queue=QUEUE)
    assert letter.attempts == 1
    assert "malformed grid.person_registered event" in letter.error
    wait_until(lambda: probe.effects() == 1, timeout=10, message="the next event")
    assert ProbeService.attempts == {"p-after": 1}
