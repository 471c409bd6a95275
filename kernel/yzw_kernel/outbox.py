"""Transactional outbox and inbox tables, and the relay that publishes the outbox.

The relay publishes with publisher confirms and marks a row published only
after the broker confirmed it. Rows are claimed with a lease first, so
several processes (replicas) can relay one outbox without publishing a row
twice in normal operation; if a process dies between publishing and
marking, the lease runs out and the row goes again, which consumers absorb
through their inbox.
"""

import json
import logging
import threading
import time
import uuid
from datetime import timedelta

import eventlet
from kombu import Connection, Exchange, Producer, Queue
from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    or_,
    select,
    update,
)

from .contracts import subscriptions_for
from .types import UTCDateTime, utcnow

log = logging.getLogger(__name__)

kernel_metadata = MetaData()

outbox_table = Table(
    "outbox",
    kernel_metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("published_at", UTCDateTime(), nullable=True),
    Column("claim_token", String(32), nullable=True),
    Column("claimed_until", UTCDateTime(), nullable=True),
    Index("ix_outbox_pending", "published_at", "seq"),
)

inbox_table = Table(
    "inbox",
    kernel_metadata,
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(100), nullable=False),
    Column("handled_at", UTCDateTime(), nullable=False),
)


class PublishTimedOut(Exception):
    """The broker took too long to confirm a message."""


def serialise_envelope(envelope):
    return json.dumps(envelope, ensure_ascii=False, sort_keys=True)


def event_exchange(source):
    """The exchange nameko's `@event_handler(source, ...)` binds to."""
    return Exchange(f"{source}.events", type="topic", durable=True, delivery_mode=2)


def subscriber_queue(subscription):
    """The queue nameko declares for a SERVICE_POOL event handler."""
    return Queue(
        subscription.queue_name,
        exchange=event_exchange(subscription.source),
        routing_key=subscription.event_type,
        durable=True,
        auto_delete=False,
        exclusive=False,
    )


def declare_subscriber_queues(channel, subscriptions):
    for subscription in subscriptions:
        subscriber_queue(subscription)(channel).declare()


class OutboxRelay:
    def __init__(
        self,
        engine,
        amqp_uri,
        source,
        interval=2.0,
        lease_seconds=30,
        batch_size=200,
        connect_timeout=3.0,
        publish_timeout=10.0,
        subscriptions=None,
    ):
        self.engine = engine
        self.amqp_uri = amqp_uri
        self.source = source
        self.interval = interval
        self.lease = timedelta(seconds=lease_seconds)
        self.batch_size = batch_size
        self.connect_timeout = connect_timeout
        self.publish_timeout = publish_timeout
        self.subscriptions = subscriptions
        self.exchange = event_exchange(source)
        self._lock = threading.Lock()
        self._connection = None
        self._running = False

    # -- broker side -------------------------------------------------------

    def _connect(self):
        if self._connection is None:
            connection = Connection(
                self.amqp_uri,
                connect_timeout=self.connect_timeout,
                transport_options={"confirm_publish": True},
            )
            connection.connect()
            channel = connection.default_channel
            self.exchange(channel).declare()
            subscriptions = (
                self.subscriptions
                if self.subscriptions is not None
                else subscriptions_for(self.source)
            )
            declare_subscriber_queues(channel, subscriptions)
            self._connection = connection
        return self._connection

    def close(self):
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001 - closing a dead connection may fail any way
                pass

    def _publish(self, producer, row):
        deadline = eventlet.Timeout(self.publish_timeout, PublishTimedOut)
        try:
            producer.publish(
                row.payload,
                exchange=self.exchange,
                routing_key=row.event_type,
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                message_id=row.event_id,
                retry=False,
            )
        finally:
            deadline.cancel()

    # -- database side -----------------------------------------------------

    def _claim(self):
        now = utcnow()
        token = uuid.uuid4().hex
        claimable = and_(
            outbox_table.c.published_at.is_(None),
            or_(outbox_table.c.claimed_until.is_(None), outbox_table.c.claimed_until < now),
        )
        candidates = (
            select(outbox_table.c.seq)
            .where(claimable)
            .order_by(outbox_table.c.seq)
            .limit(self.batch_size)
            .scalar_subquery()
        )
        with self.engine.begin() as connection:
            connection.execute(
                update(outbox_table)
                .where(outbox_table.c.seq.in_(candidates), claimable)
                .values(claim_token=token, claimed_until=now + self.lease)
            )
        with self.engine.begin() as connection:
            return connection.execute(
                select(
                    outbox_table.c.seq,
                    outbox_table.c.event_id,
                    outbox_table.c.event_type,
                    outbox_table.c.payload,
                )
                .where(outbox_table.c.claim_token == token, outbox_table.c.published_at.is_(None))
                .order_by(outbox_table.c.seq)
            ).all()

    def _mark_published(self, seqs):
        if not seqs:
            return
        with self.engine.begin() as connection:
            connection.execute(
                update(outbox_table)
                .where(outbox_table.c.seq.in_(seqs))
                .values(published_at=utcnow(), claim_token=None, claimed_until=None)
            )

    def _release(self, seqs):
        if not seqs:
            return
        with self.engine.begin() as connection:
            connection.execute(
                update(outbox_table)
                .where(outbox_table.c.seq.in_(seqs), outbox_table.c.published_at.is_(None))
                .values(claim_token=None, claimed_until=None)
            )

    # -- relaying ----------------------------------------------------------

    def relay_now(self):
        """Publish what is pending; returns how many went out. Never raises."""
        if not self.amqp_uri:
            return 0
        sent = 0
        with self._lock:
            while True:
                try:
                    rows = self._claim()
                except Exception:  # noqa: BLE001 - the timer tries again
                    log.exception("outbox: could not claim pending events")
                    return sent
                if not rows:
                    return sent
                done = []
                try:
                    producer = Producer(self._connect().default_channel)
                    for row in rows:
                        self._publish(producer, row)
                        done.append(row.seq)
                except Exception as error:  # noqa: BLE001 - any failure: retry later
                    log.warning("outbox: broker unavailable (%s); will retry", error)
                    self.close()
                    self._mark_published(done)
                    finished = set(done)
                    self._release([r.seq for r in rows if r.seq not in finished])
                    return sent + len(done)
                self._mark_published(done)
                sent += len(done)
                if len(rows) < self.batch_size:
                    return sent

    def ensure_declared(self):
        """Declare the exchange and subscriber queues; True once the broker answered."""
        if not self.amqp_uri:
            return False
        with self._lock:
            try:
                self._connect()
                return True
            except Exception as error:  # noqa: BLE001
                log.warning("outbox: cannot reach the broker yet (%s)", error)
                self.close()
                return False

    def run(self):
        """The relay's timer: catch up on whatever the broker missed."""
        self._running = True
        self.ensure_declared()
        while self._running:
            self.relay_now()
            time.sleep(self.interval)

    def stop(self):
        self._running = False
