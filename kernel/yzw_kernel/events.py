"""Consuming integration events exactly once."""

import functools
import logging

from nameko.events import event_handler

from .envelope import ValidationError, read_envelope

log = logging.getLogger(__name__)


def consumes(source, event_type):
    """Subscribe a service method to `source.event_type`, handled once per event id.

    The method is called as `method(self, tx, envelope)` inside a unit of
    work; the event id goes into the inbox in the same transaction as its
    effect, so a redelivered event has no second effect. The service keeps
    its `Database` provider as `self.db`. A failure rolls back and returns
    the event to its queue.
    """

    def decorator(method):
        @functools.wraps(method)
        def handle(self, payload):
            try:
                envelope = read_envelope(payload)
            except ValidationError as error:
                # A malformed event can never succeed; dropping it beats a hot loop.
                log.error("dropping malformed %s.%s event: %s", source, event_type, error)
                return None
            with self.db.transaction() as tx:
                if tx.already_handled(envelope["id"]):
                    log.info("event %s already handled; skipped", envelope["id"])
                    return None
                tx.mark_handled(envelope)
                return method(self, tx, envelope)

        return event_handler(source, event_type, requeue_on_error=True)(handle)

    return decorator
