"""Typed errors with stable codes that survive an RPC hop as their own type."""

from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    """Base of every error a service raises on purpose.

    `code` is stable and machine-readable; `message` is for a person;
    `fields` maps input field names to lists of messages. Positional
    arguments only, so nameko can rebuild the exception on the caller's side.
    """

    code = "error"
    status = 400

    def __init__(self, message="", fields=None):
        # nameko rebuilds the error from its args, and turns a None into "None"
        fields = fields if isinstance(fields, dict) else {}
        super().__init__(message, fields)
        self.message = message
        self.fields = fields

    def __str__(self):
        return self.message

    def to_json(self):
        body = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body

    def headers(self):
        """HTTP headers the gateway sends with this error."""
        return {}


@deserialize_to_instance
class InvalidInput(DomainError):
    code = "invalid_input"
    status = 400


@deserialize_to_instance
class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401


@deserialize_to_instance
class Forbidden(DomainError):
    code = "forbidden"
    status = 403


@deserialize_to_instance
class NotFound(DomainError):
    code = "not_found"
    status = 404


@deserialize_to_instance
class Conflict(DomainError):
    code = "conflict"
    status = 409


@deserialize_to_instance
class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413


@deserialize_to_instance
class TooManyRequests(DomainError):
    """Refused for now; `retry_after` says in how many seconds to try again."""

    code = "too_many_requests"
    status = 429

    def __init__(self, message="", fields=None, retry_after=1):
        super().__init__(message, fields)
        self.retry_after = max(1, int(retry_after))
        self.args = (message, self.fields, self.retry_after)  # rebuilt whole after an RPC hop

    def headers(self):
        return {"Retry-After": str(self.retry_after)}


@deserialize_to_instance
class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    status = 503
