"""Statistics of a community's or a grid's appeals, for its staff.

Counts come from one GROUP BY over the scope's appeals, so a million appeals
cost one scan and a few hundred rows back, never a row per appeal. The two
medians are computed by the database: PostgreSQL's `percentile_cont`; on
SQLite, the middle one or two durations of the sorted list, fetched alone.
Satisfaction by month is one more GROUP BY, a row per month that had ratings.
"""

from datetime import UTC, datetime

from sqlalchemy import case, func, literal_column, select, union_all

from yzw_kernel.contracts import appeals as contract
from yzw_kernel.errors import Forbidden, InvalidInput
from yzw_kernel.principal import Principal
from yzw_kernel.types import utcnow
from yzw_kernel.validation import load

from . import domain
from .models import Appeal, TimelineEntry

SECONDS_PER_HOUR = 3600.0
# satisfaction_by_month: this many calendar months (UTC), the current one last
MONTHS = 12


def stats(tx, principal, query):
    principal = Principal(principal)
    query = load(contract.StatsQuery, query)
    community_id, grid_id = query.get("community_id"), query.get("grid_id")
    if bool(community_id) == bool(grid_id):
        message = "give community_id or grid_id, one of them"
        raise InvalidInput(message, {"community_id": [message], "grid_id": [message]})
    session = tx.session
    if community_id:
        scope = Appeal.community_id == community_id
        _require_community_staff(session, principal, community_id)
    else:
        scope = Appeal.grid_id == grid_id
        _require_grid_staff(session, principal, grid_id)
    now = utcnow()
    return {
        "community_id": community_id,
        "grid_id": grid_id,
        **_counts(session, scope, now),
        "median_hours_to_claim": _median_hours(session, scope, Appeal.claimed_at),
        "median_hours_to_resolve": _median_hours(session, scope, Appeal.resolved_at),
        "satisfaction_by_month": _satisfaction_by_month(session, scope, now),
    }


# -- who may see them ------------------------------------------------------------


def _require_community_staff(session, principal, community_id):
    """The community's admins (and its street's), and anyone with a role in one of its grids."""
    street_id = session.scalar(
        select(Appeal.street_id).where(Appeal.community_id == community_id).limit(1)
    )
    in_a_grid = any(r["community_id"] == community_id for r in principal.grid_roles)
    if not (in_a_grid or principal.is_community_admin(community_id, street_id)):
        raise Forbidden("only the community's staff see its statistics")


def _require_grid_staff(session, principal, grid_id):
    """The grid's staff, and the admins of its community and street."""
    place = session.execute(
        select(Appeal.community_id, Appeal.street_id).where(Appeal.grid_id == grid_id).limit(1)
    ).first()
    community_id, street_id = place if place is not None else (None, None)
    if not principal.is_grid_staff(grid_id, community_id, street_id):
        raise Forbidden("only the grid's staff see its statistics")


# -- counting --------------------------------------------------------------------


def _counts(session, scope, now):
    """One GROUP BY: a row per (status, category, source, grid) that occurs, with its
    appeals, ratings, satisfied ratings and overdue ones; summed up here."""
    overdue = (
        Appeal.status.in_(domain.OPEN)
        & Appeal.deadline_at.is_not(None)
        & (Appeal.deadline_at < now)
    )
    satisfied = Appeal.rating >= domain.SATISFIED_AT_OR_ABOVE
    rows = session.execute(
        select(
            Appeal.status,
            Appeal.category,
            Appeal.source,
            Appeal.grid_id,
            func.count(),
            func.count(Appeal.rating),
            func.sum(case((satisfied, 1), else_=0)),
            func.sum(case((overdue, 1), else_=0)),
        )
        .where(scope)
        .group_by(Appeal.status, Appeal.category, Appeal.source, Appeal.grid_id)
    ).all()
    by = {
        "by_status": dict.fromkeys(domain.STATUSES, 0),
        "by_category": dict.fromkeys(domain.CATEGORIES, 0),
        "by_source": dict.fromkeys(domain.SOURCES, 0),
        "by_grid": {},
    }
    total = rated = happy = late = 0
    for status, category, source, grid_id, count, ratings, satisfied_n, overdue_n in rows:
        for name, key in zip(by, (status, category, source, grid_id), strict=True):
            by[name][key] = by[name].get(key, 0) + count
        total += count
        rated += ratings
        happy += int(satisfied_n or 0)
        late += int(overdue_n or 0)
    return {
        "total": total,
        **by,
        "rated": rated,
        "satisfaction": round(happy / rated, 4) if rated else None,
        "overdue": late,
    }


# -- satisfaction by month ---------------------------------------------------------


def _satisfaction_by_month(session, scope, now):
    """Ratings given in each of the last MONTHS calendar months, oldest first.

    An appeal counts once, with its latest rating, like `rated` and `satisfaction`
    above, in the month that rating was given. A rating of 3 or more closed the
    appeal then (`closed_at`); one of 2 or less reopened it (重办) and left no
    time on the appeal, so its time is that of its latest `reopen` in the
    timeline. Both kinds are counted in one statement, grouped by month.
    """
    months = _last_months(now, MONTHS)
    since = datetime(*months[0], 1, tzinfo=UTC)
    closed = select(Appeal.closed_at.label("rated_at"), Appeal.rating.label("rating")).where(
        scope, Appeal.rating.is_not(None), Appeal.closed_at >= since
    )
    reopened_at = func.max(TimelineEntry.at)
    reopened = (
        select(reopened_at.label("rated_at"), Appeal.rating.label("rating"))
        .join(TimelineEntry, TimelineEntry.appeal_id == Appeal.id)
        .where(
            scope,
            Appeal.rating.is_not(None),
            Appeal.closed_at.is_(None),
            TimelineEntry.action == "reopen",
        )
        .group_by(Appeal.id, Appeal.rating)
        .having(reopened_at >= since)
    )
    ratings = union_all(closed, reopened).subquery("ratings")
    # the month computed below the GROUP BY: PostgreSQL would not match the format
    # string bound twice, once in the column and once in the grouping
    by_month = select(
        _month_of(session, ratings.c.rated_at).label("month"), ratings.c.rating
    ).subquery("by_month")
    satisfied = by_month.c.rating >= domain.SATISFIED_AT_OR_ABOVE
    counted = {
        month: (int(rated), int(happy or 0))
        for month, rated, happy in session.execute(
            select(
                by_month.c.month, func.count(), func.sum(case((satisfied, 1), else_=0))
            ).group_by(by_month.c.month)
        )
    }
    answer = []
    for year, month in months:
        label = f"{year:04d}-{month:02d}"
        rated, happy = counted.get(label, (0, 0))
        answer.append(
            {
                "month": label,
                "rated": rated,
                "satisfied": happy,
                "satisfaction": round(happy / rated, 4) if rated else None,
            }
        )
    return answer


def _last_months(now, count):
    """(year, month) of the `count` calendar months up to and including now's, in UTC."""
    now = now.astimezone(UTC)
    index = now.year * 12 + now.month - 1
    return [(i // 12, i % 12 + 1) for i in range(index - count + 1, index + 1)]


def _month_of(session, moment):
    """YYYY-MM of a UTC timestamp, by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", moment), "YYYY-MM")
    return func.strftime("%Y-%m", moment)  # SQLite keeps naive UTC


# -- medians ---------------------------------------------------------------------


def _median_hours(session, scope, reached_at):
    """Median hours from created_at to `reached_at`, over the appeals that got there."""
    reached = scope & reached_at.is_not(None)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        seconds = func.extract("epoch", reached_at - Appeal.created_at)
        median = session.scalar(
            select(func.percentile_cont(0.5).within_group(seconds)).where(reached)
        )
        return _hours(median)
    # SQLite, the embedded default: no percentile function, so the middle of the sorted list
    seconds = (func.julianday(reached_at) - func.julianday(Appeal.created_at)) * 86400.0
    count = session.scalar(select(func.count()).select_from(Appeal).where(reached))
    if not count:
        return None
    middle = session.scalars(
        select(seconds.label("seconds"))
        .where(reached)
        .order_by(literal_column("seconds"))
        .offset((count - 1) // 2)
        .limit(2 - count % 2)
    ).all()
    return _hours(sum(middle) / len(middle))


def _hours(seconds):
    if seconds is None:
        return None
    return round(float(seconds) / SECONDS_PER_HOUR, 2)
