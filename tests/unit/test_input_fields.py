"""The kernel's input field types, and every contract taking its input with them:
text that is text, whole numbers a column holds, times that convert to UTC, a
phone number in one spelling, cursors read defensively."""

import base64
import json

import pytest
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import BigInteger, Column
from sqlalchemy import String as StringColumn

from gateway.http import ROUTES
from yzw_kernel.errors import InvalidInput
from yzw_kernel.paging import empty_page
from yzw_kernel.types import BIGINT_MAX, INTEGER_MAX, UTCDateTime
from yzw_kernel.validation import Int, JsonBoolean, NameOrPhone, Phone, String, Time


def input_fields():
    """(route, schema, name, field) for every field a route takes in its body or query,
    the items of a list and the keys and values of a dict included."""
    import gateway.service  # noqa: F401 - registers the routes

    for route in ROUTES:
        for schema in (route.body, route.query):
            if schema is None:
                continue
            for name, field in schema().fields.items():
                yield route, schema, name, field
                if isinstance(field, fields.List):
                    yield route, schema, f"{name}[]", field.inner
                if isinstance(field, fields.Dict):
                    yield route, schema, f"{name}{{}}", field.key_field
                    yield route, schema, f"{name}[]", field.value_field


def test_every_field_a_route_takes_is_one_of_the_kernels_types():
    kernel_types = (String, Int, Time, JsonBoolean, fields.List, fields.Dict)
    odd = {
        f"{route.method} {route.path} {schema.__name__}.{name}: {type(field).__name__}"
        for route, schema, name, field in input_fields()
        if not isinstance(field, kernel_types)
        # a query string's true/false, which JsonBoolean would refuse
        and not (schema is route.query and type(field) is fields.Boolean)
    }
    assert not odd, "\n".join(sorted(odd))


def test_every_whole_number_fits_its_column():
    """Money in fen is BIGINT; every other number an INTEGER (32 bits on PostgreSQL)."""
    too_wide = {
        f"{schema.__name__}.{name}: {field.minimum}..{field.maximum}"
        for _, schema, name, field in input_fields()
        if isinstance(field, Int)
        and field.maximum > (BIGINT_MAX if name.endswith("_fen") else INTEGER_MAX)
    }
    assert not too_wide, too_wide
    with pytest.raises(TypeError):
        Int(0)  # no maximum, no number
    with pytest.raises(ValueError):
        Int(0, 2**63)


class Sample(Schema):
    name = String()
    notes = String(multiline=True)
    count = Int(0, 10)
    at = Time()
    phone = Phone()
    q = NameOrPhone()


def refused(**data):
    with pytest.raises(ValidationError) as error:
        Sample().load(data)
    return set(error.value.messages)


@pytest.mark.parametrize("text", ["a\x00b", "\ud800", "a\udfffb", "a\x07b", "\x1b[31m", "a\x85b"])
def test_text_is_text_in_every_field(text):
    assert refused(name=text) == {"name"}
    assert refused(notes=text) == {"notes"}


def test_a_line_takes_no_breaks_and_a_note_does():
    for text in ("a\nb", "a\tb", "a\r\nb"):
        assert refused(name=text) == {"name"}
        assert Sample().load({"notes": text}) == {"notes": text}
    assert Sample().load({"name": "海威社区 第1网格"}) == {"name": "海威社区 第1网格"}


@pytest.mark.parametrize("value", [11, -1, 2**63, 10**30, 1.0, "1", True])
def test_a_whole_number_within_its_bounds(value):
    assert refused(count=value) == {"count"}


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59-12:00",  # overflows on the way to UTC
        "0001-01-01T00:00:00+14:00",
        "1899-12-31T23:59:59+00:00",
        "3000-01-01T00:00:00+00:00",
        "2999-12-31T23:00:00-02:00",  # 3000 in UTC
        "2026-03-01T08:00:00",  # no offset
    ],
)
def test_a_time_converts_to_utc_within_the_years_1900_to_2999(moment):
    assert refused(at=moment) == {"at"}


def test_a_time_is_loaded_as_utc():
    at = Sample().load({"at": "2026-03-01T08:00:00+08:00"})["at"]
    assert at.isoformat() == "2026-03-01T00:00:00+00:00"


@pytest.mark.parametrize(
    "typed",
    [
        "13916938000",
        "13916938000\n",
        " 13916938000\r\n",
        "139 1693 8000",
        "139-1693-8000",
        "１３９１６９３８０００",  # full-width, from a Chinese input method
        "139\u30001693\u30008000",  # ideographic spaces
    ],
)
def test_a_phone_number_has_one_spelling(typed):
    assert Sample().load({"phone": typed}) == {"phone": "13916938000"}


@pytest.mark.parametrize(
    "typed",
    [
        "1٣٩١٦٩٣٨٠٠٠",  # Arabic-Indic digits: not a mainland number as typed here
        "1३९१६९३८०००",  # Devanagari
        "13916938000\x00",
        "1391693800",
        "139169380001",
        "23916938000",
        "\ud83913916938000",
        13916938000,
    ],
)
def test_what_is_not_a_phone_number_is_refused(typed):
    assert refused(phone=typed) == {"phone"}


def test_a_search_for_a_phone_number_as_people_type_it():
    assert Sample().load({"q": "１３９ １６９３"}) == {"q": "1391693"}
    assert Sample().load({"q": "王 大爷"}) == {"q": "王 大爷"}


def cursor(raw):
    raw = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
    return base64.urlsafe_b64encode(raw).decode()


TIMED = [Column("at", UTCDateTime()), Column("id", StringColumn(36))]
NUMBERED = [Column("id", BigInteger())]


@pytest.mark.parametrize(
    "order, tampered",
    [
        (TIMED, "not a cursor!"),
        (TIMED, "eyJhIjox"),  # cut short
        (TIMED, "é"),
        (TIMED, cursor(b"\xff\xfe")),
        (TIMED, cursor({"at": "2026-01-01T00:00:00+00:00"})),
        (TIMED, cursor(["2026-01-01T00:00:00+00:00"])),
        (TIMED, cursor(["2026-01-01T00:00:00+00:00", "x", "y"])),
        (TIMED, cursor(["9999-12-31T23:59:59-12:00", "x"])),
        (TIMED, cursor(["0001-01-01T00:00:00+14:00", "x"])),
        (TIMED, cursor(["2026-01-01T00:00:00", "x"])),
        (TIMED, cursor([1, "x"])),
        (TIMED, cursor(["2026-01-01T00:00:00+00:00", 1])),
        (TIMED, cursor(["2026-01-01T00:00:00+00:00", "\x00"])),
        (TIMED, cursor(["2026-01-01T00:00:00+00:00", "\ud800"])),
        (NUMBERED, cursor([2**63])),
        (NUMBERED, cursor([-(2**63) - 1])),
        (NUMBERED, cursor([10**30])),
        (NUMBERED, cursor([1.0])),
        (NUMBERED, cursor([True])),
        (NUMBERED, cursor([[1]])),
    ],
)
def test_a_cursor_we_did_not_give_is_refused_naming_cursor(order, tampered):
    with pytest.raises(InvalidInput) as error:
        empty_page(order, {"cursor": tampered})
    assert list(error.value.fields) == ["cursor"]


def test_a_cursor_we_gave_is_read():
    assert empty_page(TIMED, {"cursor": cursor(["2026-01-01T08:00:00+08:00", "x"])})["items"] == []
    assert empty_page(NUMBERED, {"cursor": cursor([2**63 - 1])})["items"] == []
