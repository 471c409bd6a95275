"""Retry queues and the dead-letter queue, and the operator's command for them.

An event whose handler fails waits in `yzw.retry.<queue>` (a queue nobody
consumes) until its back-off expires; RabbitMQ then dead-letters it back to
`<queue>`. An event that failed `EVENT_MAX_ATTEMPTS` times goes to the
exchange `yzw.dead-letter` (routing key: its queue) and the queue
`yzw.dead-letter`, which also takes what the broker's own delivery limit
dead-letters in a deployment (deploy/rabbitmq/definitions.json).

    python -m yzw_kernel.dead_letters list [--queue QUEUE] [--json]
    python -m yzw_kernel.dead_letters replay (--all | --event ID ... | --queue QUEUE)

`AMQP_URI` comes from the environment (or `--amqp-uri`). Replaying sends an
event back to the queue it failed on with its attempts reset; a handler that
had already taken it (the inbox) skips it, so a replay has its effect once.
"""

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass

from kombu import Connection, Exchange, Producer, Queue
from kombu.exceptions import ChannelError

from .types import utcnow

EXCHANGE = "yzw.dead-letter"
QUEUE = "yzw.dead-letter"
ATTEMPTS = "x-yzw-attempts"
ERROR = "x-yzw-error"
ORIGIN = "x-yzw-queue"
FAILED_AT = "x-yzw-failed-at"
REPLAYED_AT = "x-yzw-replayed-at"

dead_letter_exchange = Exchange(EXCHANGE, type="topic", durable=True)


def retry_queue_name(queue_name):
    return f"yzw.retry.{queue_name}"


def retry_queue(queue_name):
    """Holds a failed event for its back-off, then hands it back to `queue_name`."""
    return Queue(
        retry_queue_name(queue_name),
        durable=True,
        auto_delete=False,
        queue_arguments={
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": queue_name,
        },
    )


def _connection(amqp_uri):
    return Connection(amqp_uri, connect_timeout=5, transport_options={"confirm_publish": True})


def declare_dead_letter_queue(connection):
    """The exchange, the queue and their binding, before anything is published there.

    The queue is declared only if it is missing (a deployment's definitions
    make it, with arguments of their own); the exchange and the binding are
    declared every time, so a dead letter can never meet an unbound exchange.
    """
    channel = connection.channel()
    try:
        channel.queue_declare(QUEUE, passive=True)
        exists = True
    except ChannelError:
        exists = False  # the broker closed that channel
    finally:
        try:
            channel.close()
        except Exception:  # noqa: BLE001 - already closed by the broker
            pass
    channel = connection.channel()
    try:
        dead_letter_exchange(channel).declare()
        if not exists:
            channel.queue_declare(QUEUE, durable=True, auto_delete=False)
        channel.queue_bind(QUEUE, EXCHANGE, routing_key="#")
    finally:
        channel.close()


def _copy(producer, message, headers, **route):
    producer.publish(
        message.body,
        headers=headers,
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        delivery_mode=2,
        message_id=message.properties.get("message_id"),
        retry=False,
        **route,
    )


def publish_retry(amqp_uri, queue_name, message, headers, delay_seconds):
    with _connection(amqp_uri) as connection:
        channel = connection.default_channel
        retry_queue(queue_name)(channel).declare()  # each time: it may have been deleted
        _copy(
            Producer(channel),
            message,
            headers,
            exchange="",
            routing_key=retry_queue_name(queue_name),
            expiration=delay_seconds,
        )


def publish_dead(amqp_uri, queue_name, message, headers):
    headers = {**headers, ORIGIN: queue_name, FAILED_AT: utcnow().isoformat()}
    with _connection(amqp_uri) as connection:
        declare_dead_letter_queue(connection)
        _copy(
            Producer(connection.default_channel),
            message,
            headers,
            exchange=EXCHANGE,
            routing_key=queue_name,
        )


# -- the operator's side ------------------------------------------------------


@dataclass
class DeadLetter:
    event_id: str
    event_type: str
    queue: str
    attempts: int
    failed_at: str
    error: str


def origin_queue(headers):
    """The queue a dead letter failed on: ours, or what the broker's own dead-lettering says."""
    if headers.get(ORIGIN):
        return headers[ORIGIN]
    if headers.get("x-first-death-queue"):
        return headers["x-first-death-queue"]
    deaths = headers.get("x-death") or []
    return deaths[0].get("queue", "") if deaths else ""


def describe(message):
    headers = message.headers or {}
    try:
        body = json.loads(message.body)
    except (TypeError, ValueError):
        body = {}
    body = body if isinstance(body, dict) else {}
    return DeadLetter(
        event_id=str(body.get("id") or message.properties.get("message_id") or ""),
        event_type=str(body.get("type") or "?"),
        queue=origin_queue(headers),
        attempts=int(headers.get(ATTEMPTS, 0) or 0),
        failed_at=str(headers.get(FAILED_AT, "")),
        error=str(headers.get(ERROR, "")),
    )


def _fetch_all(channel, limit):
    """Every dead letter, held unacknowledged until the channel closes."""
    queue = Queue(QUEUE, channel=channel, no_declare=True)
    messages = []
    while len(messages) < limit:
        message = queue.get(no_ack=False)
        if message is None:
            break
        messages.append(message)
    return messages


def list_dead_letters(amqp_uri, queue=None, limit=10000):
    """What is in the dead-letter queue; nothing is taken out of it."""
    with _connection(amqp_uri) as connection:
        declare_dead_letter_queue(connection)
        channel = connection.channel()
        try:
            letters = [describe(m) for m in _fetch_all(channel, limit)]
        finally:
            channel.close()  # unacknowledged: every message stays
    return [letter for letter in letters if queue is None or letter.queue == queue]


def replay(amqp_uri, event_ids=None, queue=None, everything=False, limit=10000):
    """Send the chosen dead letters back to the queues they failed on; returns them."""
    if not (everything or event_ids or queue):
        raise ValueError("say which: --all, --event ID or --queue QUEUE")
    wanted = set(event_ids or ())
    replayed = []
    with _connection(amqp_uri) as connection:
        declare_dead_letter_queue(connection)
        channel = connection.channel()
        try:
            producer = Producer(channel)
            for message in _fetch_all(channel, limit):
                letter = describe(message)
                chosen = (
                    everything
                    or letter.event_id in wanted
                    or (queue is not None and letter.queue == queue)
                )
                if not chosen or not letter.queue:
                    continue
                headers = {
                    k: v
                    for k, v in (message.headers or {}).items()
                    if k not in (ATTEMPTS, ERROR, ORIGIN, FAILED_AT) and not k.startswith("x-")
                }
                headers[REPLAYED_AT] = utcnow().isoformat()
                _copy(producer, message, headers, exchange="", routing_key=letter.queue)
                message.ack()  # only once the broker confirmed the copy
                replayed.append(letter)
        finally:
            channel.close()  # what was not chosen stays where it was
    return replayed


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m yzw_kernel.dead_letters",
        description="List and replay events that their handlers could not take.",
    )
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI"))
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="show the dead letters (nothing is removed)")
    listing.add_argument("--queue", help="only those that failed on this queue")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    again = commands.add_parser("replay", help="send dead letters back to their queues")
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every dead letter")
    which.add_argument("--event", action="append", metavar="ID", help="this event id")
    which.add_argument("--queue", help="every dead letter of this queue")
    args = parser.parse_args(argv)
    if not args.amqp_uri:
        parser.error("set AMQP_URI or pass --amqp-uri")

    if args.command == "list":
        letters = list_dead_letters(args.amqp_uri, queue=args.queue)
        if args.json:
            for letter in letters:
                print(json.dumps(asdict(letter), ensure_ascii=False))
        else:
            print(f"{len(letters)} dead letter(s)")
            for letter in letters:
                print(
                    f"{letter.event_id}  {letter.event_type}  queue={letter.queue}  "
                    f"attempts={letter.attempts}  failed_at={letter.failed_at}\n"
                    f"    {letter.error}"
                )
        return 0
    letters = replay(args.amqp_uri, args.event, args.queue, args.all)
    print(f"replayed {len(letters)} dead letter(s)")
    for letter in letters:
        print(f"{letter.event_id}  {letter.event_type}  -> {letter.queue}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
