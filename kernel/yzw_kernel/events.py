"""Consuming integration events exactly once, and never for ever.

A handler's effect and its inbox row commit together, so a redelivered event
has no second effect. A handler that fails is not put straight back (that
is a hot loop that starves every other event): the event waits in its
queue's retry queue for a back-off that doubles each time, then comes back.
After `EVENT_MAX_ATTEMPTS` failures, or at once if the event cannot be read,
it goes to the dead-letter queue, where an operator lists and replays it
(`python -m yzw_kernel.dead_letters`).
"""

import functools
import logging
import traceback

from nameko.events import EventHandler

from . import dead_letters, faults
from .envelope import ValidationError, read_envelope
from .errors import Conflict

log = logging.getLogger(__name__)


class UnreadableEvent(Exception):
    """An event no retry can help: it goes to the dead-letter queue at once."""


class RetryingEventHandler(EventHandler):
    """nameko's SERVICE_POOL event handler with bounded, delayed retries.

    Settings (service config): EVENT_MAX_ATTEMPTS (default 5 deliveries in
    all), EVENT_RETRY_DELAY (seconds before the first retry, default 1; it
    doubles each time) and EVENT_RETRY_DELAY_MAX (default 60).
    """

    def __init__(self, source_service, event_type, **kwargs):
        super().__init__(source_service, event_type, requeue_on_error=False, **kwargs)

    def setup(self):
        super().setup()
        config = self.container.config
        self.max_attempts = max(1, int(config.get("EVENT_MAX_ATTEMPTS", 5)))
        self.retry_delay = float(config.get("EVENT_RETRY_DELAY", 1.0))
        self.retry_delay_max = float(config.get("EVENT_RETRY_DELAY_MAX", 60.0))
        self.amqp_uri = config["AMQP_URI"]

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        try:
            self._divert(message, exc_info)
        except Exception:  # noqa: BLE001 - the broker is away: keep the event, try later
            log.exception("could not move a failed event aside; it goes back to its queue")
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _divert(self, message, exc_info):
        headers = dict(message.headers or {})
        attempts = int(headers.get(dead_letters.ATTEMPTS, 0) or 0) + 1
        error = "".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip()
        headers[dead_letters.ATTEMPTS] = attempts
        headers[dead_letters.ERROR] = error[:1000]
        unreadable = issubclass(exc_info[0], UnreadableEvent)
        if attempts < self.max_attempts and not unreadable:
            delay = min(self.retry_delay * 2 ** (attempts - 1), self.retry_delay_max)
            log.warning(
                "event on %s failed (attempt %d of %d); retrying in %.1fs: %s",
                self.queue.name,
                attempts,
                self.max_attempts,
                delay,
                error,
            )
            dead_letters.publish_retry(self.amqp_uri, self.queue.name, message, headers, delay)
        else:
            log.error(
                "event on %s failed %d time(s); moved to the dead-letter queue: %s",
                self.queue.name,
                attempts,
                error,
            )
            dead_letters.publish_dead(self.amqp_uri, self.queue.name, message, headers)


def consumes(source, event_type):
    """Subscribe a service method to `source.event_type`, handled once per event id.

    The method is called as `method(self, tx, envelope)` inside a unit of
    work; the event id goes into the inbox in the same transaction as its
    effect, so a redelivered event has no second effect. The service keeps
    its `Database` provider as `self.db`. A failure rolls back; the event is
    retried later and, failing for good, dead-lettered.
    """

    def decorator(method):
        @functools.wraps(method)
        def handle(self, payload):
            try:
                envelope = read_envelope(payload)
            except ValidationError as error:
                raise UnreadableEvent(f"malformed {source}.{event_type} event: {error}") from None
            try:
                with self.db.transaction() as tx:
                    if tx.already_handled(envelope["id"]):
                        log.info("event %s already handled; skipped", envelope["id"])
                        return None
                    tx.mark_handled(envelope)
                    result = method(self, tx, envelope)
            except Conflict:
                # a second copy of this event, handled by another worker meanwhile:
                # its inbox row won the race; this copy is done, not failed
                if self.db.has_handled(envelope["id"]):
                    log.info("event %s handled concurrently; skipped", envelope["id"])
                    return None
                raise
            # committed, not yet acknowledged: where the chaos run kills consumers
            faults.reached(f"consumed:{source}.{event_type}")
            return result

        return RetryingEventHandler.decorator(source, event_type)(handle)

    return decorator
