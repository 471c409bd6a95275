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
    refused = InvalidInput("the cursor is not one we gave", {"cursor": ["not one of this list"]})
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, UnicodeDecodeError):
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
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("a naive time")
        return moment
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str):
        return value
    raise TypeError(f"{value!r} is not a {kind.__name__}")
