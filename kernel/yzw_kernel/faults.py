"""Fault injection for the chaos run (`make chaos`); does nothing unless YZW_FAULTS is set.

    YZW_FAULTS="consumed:appeals.appeal_closed@40,committed:funding.donation_received@25"

kills this process with SIGKILL the 40th time it has committed the handling
of an `appeals.appeal_closed` event (before RabbitMQ hears the ack), and the
25th time it has committed a change that stored a `funding.donation_received` event
in its outbox (before the relay publishes it). SIGKILL, so nothing gets to
tidy up: the moments the delivery guarantees are about.
"""

import logging
import os
import signal
from collections import Counter

log = logging.getLogger(__name__)


def parse(spec):
    armed = {}
    for item in filter(None, (part.strip() for part in (spec or "").split(","))):
        point, _, count = item.rpartition("@")
        if not point or not count.isdigit() or int(count) < 1:
            raise ValueError(f"YZW_FAULTS: expected point@N, got {item!r}")
        armed[point] = int(count)
    return armed


_armed = parse(os.environ.get("YZW_FAULTS"))
_passed = Counter()


def reached(point):
    """Mark a fault point; the process dies here if the point is armed for this pass."""
    if point not in _armed:
        return
    _passed[point] += 1
    if _passed[point] == _armed[point]:
        log.critical("fault injection: SIGKILL at %s (pass %d)", point, _passed[point])
        for handler in logging.getLogger().handlers:
            handler.flush()
        os.kill(os.getpid(), signal.SIGKILL)
