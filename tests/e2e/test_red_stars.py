"""Red stars across the suite: appeals close, volunteer pays the handler, once."""

import json

import pytest
from api_client import build_community, next_phone
from conftest import VOLUNTEER_TEST_CONFIG
from kombu import Connection, Producer
from waiting import wait_until

from volunteer.service import VolunteerService
from yzw_kernel.envelope import make_envelope
from yzw_kernel.outbox import event_exchange

# the journeys run on PostgreSQL too: every service on a database of its own
pytestmark = pytest.mark.both_backends

APPEAL = {"category": "infrastructure", "title": "单元门坏了", "description": "门禁无法关闭"}


def setting(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    home = ids["households"][0][0]
    phone = next_phone()
    admin.created(
        "/people",
        {"name": "居民", "phone": phone, "password": suite.password, "household_id": home},
    )
    alice = suite.anonymous().login(phone, suite.password)
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    return ids, alice, worker, home


def close_appeal(alice, worker, home, score):
    appeal = "/appeals/" + alice.created("/appeals", {**APPEAL, "household_id": home})["id"]
    assert worker.post(f"{appeal}/claim").status_code == 200
    assert worker.post(f"{appeal}/resolve", {"resolution": "已修好"}).status_code == 200
    assert alice.post(f"{appeal}/rate", {"score": score}).json()["status"] == "closed"
    return appeal


def stars_of(api, person_id):
    response = api.get(f"/stars/{person_id}")
    return response.json() if response.status_code == 200 else None


def test_closing_an_appeal_credits_its_handler_and_a_five_adds_the_bonus(suite):
    ids, alice, worker, home = setting(suite)
    handler = ids["workers"][0]

    close_appeal(alice, worker, home, 4)
    close_appeal(alice, worker, home, 5)

    stars = wait_until(
        lambda: (s := stars_of(worker, handler)) and s["balance"] == 25 and s,
        message="the handler's stars for two closed appeals",
    )
    assert sorted(e["amount"] for e in stars["entries"]) == [10, 15]
    assert all(e["kind"] == "earn" and e["source"].startswith("appeal:") for e in stars["entries"])
    # a resident may not look at the worker's stars
    assert alice.get(f"/stars/{handler}").status_code == 403


def test_the_same_appeal_closed_event_delivered_three_times_credits_once(suite):
    ids, alice, worker, home = setting(suite)
    handler = ids["workers"][0]
    envelope = make_envelope(
        "appeals",
        "appeal_closed",
        {
            "appeal_id": "appeal-x",
            "number": "2026-009999",
            "community_id": ids["community"],
            "grid_id": ids["grids"][0],
            "category": "daily",
            "status": "closed",
            "level": "grid",
            "assignee_kind": "person",
            "assignee_id": handler,
            "actor_id": None,
            "handler_id": handler,
            "rating": 5,
        },
    )
    with Connection(suite.amqp_uri) as connection:
        producer = Producer(connection.default_channel)
        for _ in range(3):
            producer.publish(
                json.dumps(envelope),
                exchange=event_exchange("appeals"),
                routing_key="appeal_closed",
                content_type="application/json",
            )
    wait_until(
        lambda: (s := stars_of(worker, handler)) and s["balance"] == 15,
        message="one credit of 15 stars",
    )
    # and a fresh event id for the same appeal pays nothing more
    again = make_envelope("appeals", "appeal_closed", envelope["data"])
    with Connection(suite.amqp_uri) as connection:
        Producer(connection.default_channel).publish(
            json.dumps(again), exchange=event_exchange("appeals"), routing_key="appeal_closed"
        )
    marker = close_appeal(alice, worker, home, 3)  # a later real one arrives after the replay
    assert marker
    stars = wait_until(
        lambda: (s := stars_of(worker, handler)) and s["balance"] == 25 and s,
        message="the later appeal's 10 stars",
    )
    assert len(stars["entries"]) == 2


def test_appeals_closed_while_volunteer_is_down_are_each_credited_once_when_it_returns(
    suite, container_factory, test_config
):
    ids, alice, worker, home = setting(suite)
    handler = ids["workers"][0]
    suite.containers["volunteer"].stop()

    for _ in range(4):
        close_appeal(alice, worker, home, 5)
    assert worker.get(f"/stars/{handler}").status_code == 503  # volunteer is down

    returned = container_factory(
        VolunteerService,
        {**test_config, **VOLUNTEER_TEST_CONFIG, "DATABASE_URL": suite.database_urls["volunteer"]},
    )
    returned.start()

    stars = wait_until(
        lambda: (s := stars_of(worker, handler)) and s["balance"] == 60 and s,
        timeout=20,
        message="four credits of 15 after the restart",
    )
    assert len(stars["entries"]) == 4
    assert len({e["source"] for e in stars["entries"]}) == 4
