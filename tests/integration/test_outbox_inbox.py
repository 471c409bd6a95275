"""The kernel's delivery guarantees, over real RabbitMQ and a real database."""

import json

import eventlet
import pytest
from conftest import grid_store
from kombu import Connection, Producer
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.utils import get_extension
from probe.service import ProbeService
from sqlalchemy import func, select
from tcp_proxy import TcpProxy
from waiting import wait_until

from yzw_kernel.contracts import Subscription
from yzw_kernel.envelope import make_envelope
from yzw_kernel.outbox import event_exchange, inbox_table, outbox_table, subscriber_queue
from yzw_kernel.providers import Database

SUBSCRIPTION = Subscription("grid", "person_registered", "probe", "on_person_registered")
PERSON = {
    "person_id": "p-1",
    "name": "张大妈",
    "household_id": None,
    "grid_id": None,
    "community_id": None,
    "party_member": False,
}


def queue_depth(amqp_uri, subscription=SUBSCRIPTION):
    with Connection(amqp_uri) as connection:
        queue = subscriber_queue(subscription)(connection.default_channel)
        return queue.queue_declare(passive=True).message_count


def drain(amqp_uri, subscription=SUBSCRIPTION):
    bodies = []
    with Connection(amqp_uri) as connection:
        queue = subscriber_queue(subscription)(connection.default_channel)
        while (message := queue.get(no_ack=True)) is not None:
            bodies.append(json.loads(message.body))
    return bodies


def outbox_rows(store, pending_only=False):
    with store.engine.connect() as connection:
        query = select(func.count()).select_from(outbox_table)
        if pending_only:
            query = query.where(outbox_table.c.published_at.is_(None))
        return connection.scalar(query)


@pytest.fixture
def subscribed(rabbit_config):
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        subscriber_queue(SUBSCRIPTION)(connection.default_channel).declare()
    return rabbit_config["AMQP_URI"]


def test_an_event_whose_transaction_rolls_back_is_never_published(subscribed, database_url):
    store = grid_store(database_url, amqp_uri=subscribed)
    try:
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.publish("person_registered", PERSON)
            raise RuntimeError("the change fails after raising its event")
        with store.transaction() as tx:
            tx.publish("person_registered", {**PERSON, "person_id": "p-2"})

        store.relay.relay_now()

        assert outbox_rows(store) == 1
        assert [body["data"]["person_id"] for body in drain(subscribed)] == ["p-2"]
    finally:
        store.dispose()


def test_an_event_committed_while_the_broker_is_away_is_published_once_when_it_returns(
    rabbit_config, subscribed, database_url
):
    proxy = TcpProxy()  # not started: the broker is unreachable
    store = grid_store(database_url, amqp_uri=proxy.uri(rabbit_config["vhost"]))
    store.relay.interval = 0.1
    relay = None
    try:
        with store.transaction() as tx:
            envelope = tx.publish("person_registered", PERSON)
        relay = eventlet.spawn(store.relay.run)
        eventlet.sleep(0.5)  # a few ticks that fail
        assert outbox_rows(store, pending_only=True) == 1
        assert queue_depth(subscribed) == 0

        proxy.start()
        wait_until(lambda: queue_depth(subscribed) == 1, message="the event after the outage")
        eventlet.sleep(0.5)  # more ticks: nothing goes twice

        assert outbox_rows(store, pending_only=True) == 0
        bodies = drain(subscribed)
        assert [body["id"] for body in bodies] == [envelope["id"]]
    finally:
        if relay is not None:
            relay.kill()
        store.dispose()
        proxy.stop()


def test_the_producer_declares_subscriber_queues_so_an_early_event_waits(
    container_factory, test_config, database_url, tmp_path
):
    store = grid_store(database_url, amqp_uri=test_config["AMQP_URI"])
    store.relay.subscriptions = [SUBSCRIPTION]
    try:
        with store.transaction() as tx:  # the consumer has never run
            tx.publish("person_registered", PERSON)
        assert outbox_rows(store, pending_only=True) == 0
    finally:
        store.dispose()

    probe = container_factory(
        ProbeService, {**test_config, "DATABASE_URL": f"sqlite:///{tmp_path}/probe.sqlite3"}
    )
    probe.start()
    with ServiceRpcProxy("probe", test_config, timeout=10) as rpc:
        wait_until(lambda: rpc.effects() == 1, message="the consumer to catch up")


def test_an_event_delivered_three_times_has_one_effect(
    container_factory, test_config, rabbit_manager, database_url
):
    probe = container_factory(ProbeService, {**test_config, "DATABASE_URL": database_url})
    probe.start()
    envelope = make_envelope("grid", "person_registered", PERSON)

    with Connection(test_config["AMQP_URI"]) as connection:
        producer = Producer(connection.default_channel)
        for _ in range(3):
            producer.publish(
                json.dumps(envelope),
                exchange=event_exchange("grid"),
                routing_key="person_registered",
                content_type="application/json",
            )

    vhost = test_config["vhost"]

    def all_settled():
        queue = rabbit_manager.get_queue(vhost, SUBSCRIPTION.queue_name)
        return queue.get("messages", 1) == 0 and queue.get("messages_unacknowledged", 1) == 0

    with ServiceRpcProxy("probe", test_config, timeout=10) as rpc:
        wait_until(lambda: rpc.effects() == 1, message="the first effect")
        wait_until(all_settled, message="all three deliveries to be settled")
        assert rpc.effects() == 1
    engine = get_extension(probe, Database).store.engine
    with engine.connect() as connection:
        handled = connection.scalar(select(func.count()).select_from(inbox_table))
    assert handled == 1


def test_two_slow_postgresql_queries_from_two_workers_overlap(
    container_factory, test_config, postgres_url
):
    probe = container_factory(ProbeService, {**test_config, "DATABASE_URL": postgres_url})
    probe.start()

    with ServiceRpcProxy("probe", test_config, timeout=30) as rpc:
        first = rpc.slow_query.call_async(1.0)
        second = rpc.slow_query.call_async(1.0)
        a, b = first.result(), second.result()

    # with a driver that blocked the hub, one query would start after the other ended
    assert a["started"] < b["ended"] and b["started"] < a["ended"], (a, b)


def test_declare_queues_prepares_a_first_deploy(rabbit_config, rabbit_manager):
    from yzw_kernel.declare_queues import declare_all

    declared = declare_all(rabbit_config["AMQP_URI"], [SUBSCRIPTION])

    assert declared == [SUBSCRIPTION.queue_name]
    queue = rabbit_manager.get_queue(rabbit_config["vhost"], SUBSCRIPTION.queue_name)
    assert queue["durable"] is True
    # an event published now waits in the queue for its consumer
    envelope = make_envelope("grid", "person_registered", PERSON)
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        Producer(connection.default_channel).publish(
            json.dumps(envelope), exchange=event_exchange("grid"), routing_key="person_registered"
        )
    assert [body["id"] for body in drain(rabbit_config["AMQP_URI"])] == [envelope["id"]]
