"""Pages of a list that grows: at most MAX_PAGE items a page, and an opaque
cursor that brings the next one. Shared by every service's contract."""

from marshmallow import Schema, fields, validate

from ..validation import Int, String

MAX_PAGE = 100
DEFAULT_PAGE = 20


def Limit(default=DEFAULT_PAGE):
    return Int(
        1,
        MAX_PAGE,
        strict=False,
        load_default=default,
        metadata={"description": f"items per page, at most {MAX_PAGE}"},
    )


def Cursor():
    # base64url, as `next_cursor` is written; the service reads what it holds
    return String(
        load_default=None,
        validate=[validate.Length(max=200), validate.Regexp(r"^[A-Za-z0-9_-]*={0,2}$")],
        metadata={"description": "`next_cursor` of the page before; none (or empty) for the first"},
    )


class PageQuery(Schema):
    cursor = Cursor()
    limit = Limit()


def page_of(item, name):
    """The schema of one page of `item`s: `items`, and `next_cursor` (null on the last page)."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next_cursor": fields.String(
                allow_none=True,
                required=True,
                metadata={"description": "pass as `cursor` for the next page; null on the last"},
            ),
        },
        name=name,
    )
