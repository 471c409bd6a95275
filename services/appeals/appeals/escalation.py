"""Overdue appeals escalate one level by themselves, exactly once (小事不出网格、大事不出社区).

Every replica's timer sweeps: it lists open appeals past their deadline below
the department level, then escalates each in its own transaction. The claim
on an appeal is a compare-and-set on its row version (the Appeal mapper's
`version_id_col`): the UPDATE says `WHERE id = :id AND version = :read`, so
when two replicas race for one appeal only one UPDATE finds its row; the
other gets a Conflict, rolls back its timeline entry and its event, and
counts the appeal as another replica's. On SQLite, where writers queue for
the file, the later one reads the escalated row and sees it is no longer
overdue. Appeals already with the departments cannot go higher and are left
out of the sweep, so they are never looped on.
"""

from sqlalchemy import select

from yzw_kernel.errors import Conflict
from yzw_kernel.types import utcnow

from . import app, domain
from .models import Appeal

TOP_LEVEL = domain.LEVELS[-1]


def overdue(session, now, limit=100):
    """Ids of open appeals past their deadline that can still go higher, oldest deadline first."""
    return list(
        session.scalars(
            select(Appeal.id)
            .where(
                Appeal.status.in_(domain.OPEN),
                Appeal.deadline_at < now,
                Appeal.level != TOP_LEVEL,
            )
            .order_by(Appeal.deadline_at, Appeal.id)
            .limit(limit)
        )
    )


def escalate_overdue(tx, appeal_id, settings, now=None):
    """Escalate one overdue appeal a level; False when it is not (or no longer) overdue,
    e.g. because another replica escalated it first. A racer's Conflict comes out of
    the unit of work: `sweep` counts it as the other replica's."""
    now = now or utcnow()
    appeal = tx.session.get(Appeal, appeal_id)
    if appeal is None or not domain.is_overdue(appeal, now):
        return False
    if domain.next_level(appeal.level) is None:
        return False  # with the departments already: nothing higher to go to
    deadline = appeal.deadline_at
    reason = f"overdue: its deadline {deadline.isoformat(timespec='minutes')} passed"
    step = domain.escalate(appeal, None, reason)
    app.record(tx, appeal, step, settings, now)  # new deadline, timeline, appeal_escalated
    return True


def sweep(store, settings, now=None, limit=100):
    """One pass of the timer: escalate what is overdue now, a transaction per appeal.
    Returns the ids escalated here, and how many another replica took first."""
    now = now or utcnow()
    with store.reading() as session:
        due = overdue(session, now, limit)
    escalated, lost = [], 0
    for appeal_id in due:
        try:
            with store.transaction() as tx:
                done = escalate_overdue(tx, appeal_id, settings, now)
        except Conflict:
            done = False
        if done:
            escalated.append(appeal_id)
        else:
            lost += 1
    return escalated, lost
