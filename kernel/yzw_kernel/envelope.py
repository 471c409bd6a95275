"""The event envelope every integration event travels in."""

from marshmallow import Schema, ValidationError, fields

from .contracts import EVENTS
from .types import new_id, utcnow


class EnvelopeSchema(Schema):
    id = fields.UUID(required=True)
    type = fields.String(required=True)  # "<source>.<event_type>"
    source = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True, default_timezone=None)
    version = fields.Integer(required=True)
    data = fields.Dict(required=True)


def make_envelope(source, event_type, data):
    """Build an envelope for `source.event_type`, checked against its contract."""
    full_type = f"{source}.{event_type}"
    contract = EVENTS.get(full_type)
    if contract is None:
        raise ValueError(f"{full_type} is not in the event catalogue")
    errors = contract.schema().validate(data)
    if errors:
        raise ValueError(f"{full_type} data breaks its contract: {errors}")
    return {
        "id": new_id(),
        "type": full_type,
        "source": source,
        "occurred_at": utcnow().isoformat(),
        "version": contract.version,
        "data": contract.schema().dump(data),
    }


def read_envelope(payload):
    """Validate an incoming envelope; returns it with `data` loaded by its contract."""
    envelope = EnvelopeSchema().load(payload)
    contract = EVENTS.get(envelope["type"])
    if contract is not None and envelope["version"] == contract.version:
        envelope["data"] = contract.schema().load(envelope["data"])
    envelope["id"] = str(envelope["id"])
    return envelope


__all__ = ["EnvelopeSchema", "ValidationError", "make_envelope", "read_envelope"]
