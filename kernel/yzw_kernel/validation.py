"""Loading input through marshmallow with errors a caller can act on, and the field
types every contract takes input with: text that is text, bounded whole numbers,
times that convert to UTC, phone numbers in one spelling."""

import re
import unicodedata

from marshmallow import EXCLUDE, RAISE, ValidationError, fields, validate

from .errors import InvalidInput
from .types import BIGINT_MAX, as_utc


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


# C0 controls, DEL and C1 controls: NUL, which PostgreSQL cannot store, and the rest,
# which nobody types and which a log or a terminal may act on
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROLS_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
SURROGATES = re.compile(r"[\ud800-\udfff]")  # half a character: JSON's "\ud800" alone


def not_text(value):
    """Whether `value` is a string that no field takes, whatever it is: one holding
    NUL, another control character than a tab or a line break, or half a character."""
    return isinstance(value, str) and bool(
        CONTROLS_BUT_LINES.search(value) or SURROGATES.search(value)
    )


class String(fields.String):
    """Text as people type it, on one line: a name, a title, an id. A lone surrogate
    and control characters are refused; `multiline=True` lets tabs and line breaks
    into a description, a note or a reason."""

    default_error_messages = {
        "surrogate": "not text: half of a character (a lone surrogate)",
        "control": "no control characters",
        "line": "one line: no line breaks or tabs",
    }

    def __init__(self, *, multiline=False, **kwargs):
        super().__init__(**kwargs)
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if SURROGATES.search(value):
            raise self.make_error("surrogate")
        if CONTROLS_BUT_LINES.search(value):
            raise self.make_error("control")
        if not self.multiline and CONTROLS.search(value):
            raise self.make_error("line")
        return value


class Url(String, fields.Url):
    """A URL, which like any text holds no control character (marshmallow's would take
    a NUL in its path)."""


class Int(fields.Integer):
    """A whole number between `minimum` and `maximum`, both required: a number past
    its column (2^63, 10^30) is refused here, not by the database. Strict in a JSON
    body (1, not 1.0 or "1"); `strict=False` for a query string, where all is text."""

    def __init__(self, minimum, maximum, *, strict=True, **kwargs):
        if not -BIGINT_MAX - 1 <= minimum <= maximum <= BIGINT_MAX:
            raise ValueError(f"bounds {minimum}..{maximum} outside BIGINT")
        super().__init__(strict=strict, validate=validate.Range(min=minimum, max=maximum), **kwargs)
        self.minimum, self.maximum = minimum, maximum


class Time(fields.AwareDateTime):
    """An ISO 8601 time with its offset, loaded as UTC; refused if outside the years
    1900 to 2999 in UTC (`9999-12-31T23:59:59-12:00` does not even convert)."""

    default_error_messages = {"range": "a time between the years 1900 and 2999 (UTC)"}

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return as_utc(moment)
        except ValueError:
            raise self.make_error("range") from None


PHONE = re.compile(r"1[0-9]{10}")


def phone_spelling(text):
    """`text` as a phone number is stored: full-width digits and spaces (NFKC) as
    ASCII, and no spaces, tabs, line breaks or hyphens. Other scripts' digits stay
    as they are, and a phone refuses them."""
    return re.sub(r"[ \t\r\n-]", "", unicodedata.normalize("NFKC", text))


class Phone(String):
    """A mainland mobile number, stored in one spelling (see `phone_spelling`): 11
    ASCII digits from a 1, so that `139 1693 8000`, `13916938000\\n` and the number
    typed full-width are one number, registered once."""

    default_error_messages = {"phone": "an 11-digit mobile number"}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not SURROGATES.search(value):
            value = phone_spelling(value)
        value = super()._deserialize(value, attr, data, **kwargs)
        if not PHONE.fullmatch(value):
            raise self.make_error("phone")
        return value


class NameOrPhone(String):
    """Part of a name, or a phone number as people type it: digits alone (full-width,
    spaced) are searched in the spelling phones are stored in."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        digits = phone_spelling(value)
        return digits if digits.isascii() and digits.isdigit() else value


__all__ = [
    "EXCLUDE",
    "RAISE",
    "Int",
    "JsonBoolean",
    "NameOrPhone",
    "Phone",
    "String",
    "Time",
    "Url",
    "load",
    "not_text",
]
