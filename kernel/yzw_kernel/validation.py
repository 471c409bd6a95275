"""Loading input through marshmallow with errors a caller can act on."""

from marshmallow import EXCLUDE, RAISE, ValidationError, fields

from .errors import InvalidInput


def load(schema_cls, data, partial=False, unknown=RAISE):
    """Load `data` with `schema_cls`; bad input raises InvalidInput naming the fields."""
    if not isinstance(data, dict):
        raise InvalidInput("expected a JSON object", {"_body": ["expected a JSON object"]})
    try:
        return schema_cls(partial=partial, unknown=unknown).load(data)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_body": error.messages}
        names = ", ".join(sorted(messages))
        raise InvalidInput(f"invalid input: {names}", messages) from None


class JsonBoolean(fields.Boolean):
    """A JSON `true` or `false` in a body, as the OpenAPI document says: not 0, 1 or "yes",
    which marshmallow's Boolean would take (a query string's "true" still needs Boolean)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


__all__ = ["EXCLUDE", "RAISE", "JsonBoolean", "load"]
