"""Column types shared by every service's models."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import mapped_column
from sqlalchemy.types import TypeDecorator

# What the columns hold: INTEGER is 32 bits on PostgreSQL, BIGINT 64 (money in fen).
INTEGER_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1
# The times the suite takes: anything outside is a slip of the keyboard or a probe, and
# far enough out (year 9999 at -12:00) it cannot even be converted to UTC.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def utcnow():
    return datetime.now(UTC)


def as_utc(moment):
    """An aware moment as UTC; ValueError when it lies outside EARLIEST..LATEST,
    where converting it would overflow or a column would not hold it."""
    if moment.tzinfo is None:
        raise ValueError("a time without its offset")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("a time outside the years 1900 to 2999") from None
    if not EARLIEST <= moment < LATEST:
        raise ValueError("a time outside the years 1900 to 2999")
    return moment


def iso(value):
    """An aware datetime as ISO 8601, or None."""
    return value.isoformat() if value is not None else None


def new_id():
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend.

    SQLite keeps no zone, so values are stored as naive UTC and handed back
    aware; naive input is refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def IdColumnType():
    """Ids are UUID strings: portable, and not guessable in public URLs."""
    return String(36)


# Every service's DeclarativeBase maps `datetime` annotations to UTCDateTime.
TYPE_ANNOTATION_MAP = {datetime: UTCDateTime()}


def id_column():
    """A UUID primary key, made by the application."""
    return mapped_column(IdColumnType(), primary_key=True, default=new_id)
