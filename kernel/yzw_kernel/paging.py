"""Keyset pages over a query: ordered by a few columns that end in a unique one,
each page starting after the last row of the one before. Unlike OFFSET, a page
costs the same however deep it is, and rows added meanwhile neither repeat nor
go missing."""

import base64
import json
from datetime import datetime

from sqlalchemy import and_, or_
from sqlalchemy.types import TypeDecorator

from .errors import InvalidInput
from .types import BIGINT_MAX, as_utc
from .validation import CONTROLS, SURROGATES


def keyset_page(session, stmt, order, query, descending=False, entity=None):
    """One page of `stmt` as `(rows, next_cursor)`.

    `order` lists the columns the rows are ordered by, the last of them unique
    (an id); `query` is a loaded page query with `limit` and `cursor`. Rows are
    what `session.scalars(stmt)` gives, or whole result rows when `entity`
    picks the mapped object out of each (a query of several columns).
    """
    limit = query["limit"]
    if query.get("cursor"):
        stmt = stmt.where(_after(order, _read(query["cursor"], order), descending))
    ordering = [column.desc() if descending else column.asc() for column in order]
    result = session.execute(stmt.order_by(*ordering).limit(limit + 1))
    rows = result.all() if entity else result.scalars().all()
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = entity(rows[-1]) if entity else rows[-1]
    return rows, _cursor([getattr(last, column.key) for column in order])


def empty_page(order, query):
    """The page of a list that has no rows for this caller, without asking the database:
    the cursor is read all the same, so a tampered one is refused here as on any list."""
    if query.get("cursor"):
        _read(query["cursor"], order)
    return {"items": [], "next_cursor": None}


def _after(order, values, descending):
    """Rows strictly after `values` in the order: (a, b) > (x, y) spelled out,
    which every database plans with the index."""
    beyond = (lambda c, v: c < v) if descending else (lambda c, v: c > v)
    clauses = []
    for depth, (column, value) in enumerate(zip(order, values, strict=True)):
        equal = [c == v for c, v in zip(order[:depth], values[:depth], strict=True)]
        clauses.append(and_(*equal, beyond(column, value)))
    return or_(*clauses)


def _cursor(values):
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode()


def _read(cursor, order):
    """The values a cursor holds, each of its column's type and within what the column
    holds: anything else (not ours, cut short, edited, of another list) is refused."""
    refused = InvalidInput("the cursor is not one we gave", {"cursor": ["not one of this list"]})
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, TypeError, RecursionError):  # binascii and Unicode errors included
        raise refused from None
    if not isinstance(values, list) or len(values) != len(order):
        raise refused
    try:
        return [_typed(column, value) for column, value in zip(order, values, strict=True)]
    except (ValueError, TypeError):
        raise refused from None


def _typed(column, value):
    column_type = column.type
    if isinstance(column_type, TypeDecorator):  # UTCDateTime says datetime through its impl
        column_type = column_type.impl_instance
    kind = column_type.python_type
    if kind is datetime and isinstance(value, str):
        return as_utc(datetime.fromisoformat(value))  # aware, and convertible to UTC
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        if not -BIGINT_MAX - 1 <= value <= BIGINT_MAX:
            raise ValueError(f"{value} is past any column")
        return value
    if kind is str and isinstance(value, str):
        if CONTROLS.search(value) or SURROGATES.search(value):
            raise ValueError("not text")
        return value
    raise TypeError(f"{value!r} is not a {kind.__name__}")
