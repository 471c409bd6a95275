"""Declare every subscriber queue of the event catalogue on a broker.

    AMQP_URI=pyamqp://user:pass@rabbit:5672/ python -m yzw_kernel.declare_queues

nameko publishes events without `mandatory`, so an event sent before its
consumer's queue exists is dropped. Producers declare their subscribers'
queues when they connect; running this once before a first deploy makes
sure the queues exist even before any service has started.
"""

import os
import sys

from kombu import Connection

from .contracts import SUBSCRIPTIONS
from .outbox import declare_subscriber_queues, event_exchange


def declare_all(amqp_uri, subscriptions=None):
    subscriptions = SUBSCRIPTIONS if subscriptions is None else subscriptions
    with Connection(amqp_uri, connect_timeout=10) as connection:
        channel = connection.default_channel
        for source in sorted({s.source for s in subscriptions}):
            event_exchange(source)(channel).declare()
        declare_subscriber_queues(channel, subscriptions)
    return [s.queue_name for s in subscriptions]


def main():
    uri = os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")
    for name in declare_all(uri):
        print(f"declared {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
