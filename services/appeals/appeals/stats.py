"""Statistics of a community's or a grid's appeals, for its staff.

Counts come from one GROUP BY over the scope's appeals, so a million appeals
cost one scan and a few hundred rows back, never a row per appeal. The two
medians are computed by the database: PostgreSQL's `percentile_cont`; on
SQLite, the middle one or two durations of the sorted list, fetched alone.
"""

from sqlalchemy import case, func, literal_column, select

from yzw_kernel.contracts import appeals as contract
from yzw_kernel.errors import Forbidden, InvalidInput
from yzw_kernel.principal import Principal
from yzw_kernel.types import utcnow
from yzw_kernel.validation import load

from . import domain
from .models import Appeal

SECONDS_PER_HOUR = 3600.0


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
    return {
        "community_id": community_id,
        "grid_id": grid_id,
        **_counts(session, scope, utcnow()),
        "median_hours_to_claim": _median_hours(session, scope, Appeal.claimed_at),
        "median_hours_to_resolve": _median_hours(session, scope, Appeal.resolved_at),
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
