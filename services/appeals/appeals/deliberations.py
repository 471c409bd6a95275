"""有事来商量 / 民事民议民决: residents of a grid, estate or building vote on an appeal.

Staff of the appeal's level open a vote; grid says, at opening, who lives in
the scope (the `eligible` count behind the quorum). Only residents of the scope
vote, once each. A vote closes when staff close it or when the timer finds it
past its closing time; closing is a compare-and-set on `status = 'open'`, so
however many replicas race, one transaction closes it and only that one
records the result and publishes `deliberation_closed`.
"""

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from yzw_kernel.contracts import appeals as contract
from yzw_kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from yzw_kernel.paging import empty_page, keyset_page
from yzw_kernel.principal import Principal
from yzw_kernel.types import iso, utcnow
from yzw_kernel.validation import load

from . import access, app, domain
from .models import Appeal, Deliberation, Vote

# Appeals that are over: nothing left to deliberate.
NO_DELIBERATION = ("closed", "rejected", "withdrawn")


def _get_deliberation(session, deliberation_id, lock=False):
    found = (
        session.get(Deliberation, deliberation_id, with_for_update={"read": True} if lock else None)
        if deliberation_id
        else None
    )
    if found is None:
        raise NotFound(f"no deliberation with id {deliberation_id}")
    return found


def lives_in_scope(principal, deliberation):
    """The resident's home is in the vote's grid, estate or building."""
    home = {
        "grid": principal.grid_id,
        "estate": principal.estate_id,
        "building": principal.building_id,
    }[deliberation.scope]
    return home is not None and home == deliberation.scope_id


def _may_see(principal, deliberation, appeal):
    return lives_in_scope(principal, deliberation) or access.may_see(principal, appeal)


# -- opening -------------------------------------------------------------------


def check_input(data):
    """Validate what staff sent, before grid is asked who lives in the scope."""
    return load(contract.DeliberationIn, data)


OPEN_A_VOTE = "open a vote on this appeal"


def open_deliberation(tx, principal, appeal_id, data, scope, settings):
    """Staff of the appeal's level open a vote; `scope` is grid's answer for the scope:
    the community it lies in and who lives there. A scope outside the appeal's community
    is refused as if it did not exist: its residents neither see the question nor vote."""
    principal = Principal(principal)
    data = check_input(data)
    appeal = app.visible_appeal(tx.session, principal, appeal_id)
    access.require(access.is_level_staff(principal, appeal), OPEN_A_VOTE)
    if appeal.status in NO_DELIBERATION:
        raise Conflict(f"the appeal is {appeal.status}; there is nothing left to vote on")
    if appeal.confidential:  # its words are for its handlers; a vote would put them to all
        raise Conflict("a confidential appeal is not put to a vote")
    now = utcnow()
    if data["closes_at"] <= now:
        raise InvalidInput("a vote closes in the future", {"closes_at": ["must be in the future"]})
    residents = _residents_in_community(appeal, data, scope)
    if not residents:
        raise InvalidInput(
            f"nobody lives in that {data['scope']}", {"scope_id": ["no residents in this scope"]}
        )
    deliberation = Deliberation(
        appeal_id=appeal.id,
        community_id=appeal.community_id,
        question=data["question"],
        options=data["options"],
        scope=data["scope"],
        scope_id=data["scope_id"],
        eligible=len(set(residents)),
        quorum_share=float(settings["quorum_share"]),
        opened_by=principal.id,
        opened_at=now,
        closes_at=data["closes_at"],
        status="open",
    )
    tx.session.add(deliberation)
    tx.flush()
    note = (
        f"vote {deliberation.id} opened in {deliberation.scope} {deliberation.scope_id} "
        f"({deliberation.eligible} residents): {deliberation.question}"
    )
    app.add_note(tx, appeal, principal.id, "deliberation_opened", note)
    return view(tx.session, deliberation, principal)


def _residents_in_community(appeal, data, scope):
    """Grid's answer must be about this very scope, inside the appeal's community."""
    expected = {
        "scope": data["scope"],
        "scope_id": data["scope_id"],
        "community_id": appeal.community_id,
    }
    if not isinstance(scope, dict) or any(scope.get(k) != v for k, v in expected.items()):
        raise NotFound(
            f"no {data['scope']} {data['scope_id']} in this community",
            {"scope_id": ["not in this community"]},
        )
    return scope.get("residents") or []


# -- voting --------------------------------------------------------------------


def vote(tx, principal, deliberation_id, data):
    """A resident of the scope votes once; the row lock keeps a vote and a close apart."""
    principal = Principal(principal)
    data = load(contract.VoteIn, data)
    # FOR SHARE on PostgreSQL: a concurrent close waits for this vote, or this vote
    # sees the close; SQLite serialises writers anyway.
    deliberation = _get_deliberation(tx.session, deliberation_id, lock=True)
    if not lives_in_scope(principal, deliberation):
        raise Forbidden(
            f"only residents of this {deliberation.scope} vote", {"scope_id": ["not your home"]}
        )
    now = utcnow()
    if deliberation.status != "open" or deliberation.closes_at <= now:
        raise Conflict("the vote is closed", {"status": ["closed"]})
    if data["option"] not in deliberation.options:
        raise InvalidInput("not one of the options", {"option": list(deliberation.options)})
    already = tx.session.scalar(
        select(Vote.id).where(
            Vote.deliberation_id == deliberation.id, Vote.person_id == principal.id
        )
    )
    if already is not None:
        raise Conflict("you have already voted", {"option": ["one vote each"]})
    try:
        with tx.session.begin_nested():  # the unique constraint settles a race with yourself
            tx.session.add(
                Vote(
                    deliberation_id=deliberation.id,
                    person_id=principal.id,
                    option=data["option"],
                    cast_at=now,
                )
            )
    except IntegrityError:
        raise Conflict("you have already voted", {"option": ["one vote each"]}) from None
    return view(tx.session, deliberation, principal)


# -- closing -------------------------------------------------------------------


def _flip(tx, deliberation_id, now, due_only):
    """Compare-and-set open → closed; True only for the one transaction that flipped it."""
    stmt = update(Deliberation).where(
        Deliberation.id == deliberation_id, Deliberation.status == "open"
    )
    if due_only:
        stmt = stmt.where(Deliberation.closes_at <= now)
    result = tx.session.execute(
        stmt.values(status="closed", closed_at=now).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _record_result(tx, deliberation_id, actor_id, how):
    """Count the votes of a deliberation this transaction just closed; publish the result."""
    deliberation = tx.session.get(Deliberation, deliberation_id, populate_existing=True)
    votes = tx.session.scalars(select(Vote.option).where(Vote.deliberation_id == deliberation_id))
    result = domain.voting_outcome(
        deliberation.options, list(votes), deliberation.eligible, deliberation.quorum_share
    )
    deliberation.outcome = result["outcome"]
    deliberation.winner = result["winner"]
    deliberation.counts = result["counts"]
    tx.flush()
    appeal = tx.session.get(Appeal, deliberation.appeal_id)
    summary = {
        "decided": f"decided: {result['winner']}",
        "tie": "a tie",
        "no_quorum": "no quorum",
    }[result["outcome"]]
    cast = sum(result["counts"].values())
    note = (
        f"vote {deliberation.id} {how}: {summary} "
        f"({cast} of {deliberation.eligible} voted; {result['counts']})"
    )
    app.add_note(tx, appeal, actor_id, "deliberation_closed", note)
    tx.publish(
        "deliberation_closed",
        {
            "deliberation_id": deliberation.id,
            "appeal_id": deliberation.appeal_id,
            # a confidential appeal's words do not leave the suite (是否保密)
            "question": None if appeal.confidential else deliberation.question,
            "outcome": result["outcome"],
            "winner": result["winner"],
            "counts": result["counts"],
            "eligible": deliberation.eligible,
        },
    )
    return deliberation


def close(tx, principal, deliberation_id):
    """Staff of the appeal's level close a vote early."""
    principal = Principal(principal)
    deliberation = _get_deliberation(tx.session, deliberation_id)
    appeal = app.find_appeal(tx.session, deliberation.appeal_id)
    if not access.is_level_staff(principal, appeal):
        if not _may_see(principal, deliberation, appeal):
            raise NotFound(f"no deliberation with id {deliberation_id}")
        raise Forbidden("only staff of the appeal's level close a vote")
    if not _flip(tx, deliberation.id, utcnow(), due_only=False):
        raise Conflict("the vote is already closed", {"status": ["closed"]})
    deliberation = _record_result(tx, deliberation.id, principal.id, "closed by staff")
    return view(tx.session, deliberation, principal)


def due(session, now, limit=100):
    """Ids of open votes whose closing time has passed, oldest first."""
    return list(
        session.scalars(
            select(Deliberation.id)
            .where(Deliberation.status == "open", Deliberation.closes_at <= now)
            .order_by(Deliberation.closes_at, Deliberation.id)
            .limit(limit)
        )
    )


def close_due(tx, deliberation_id, now=None):
    """The timer closes one vote past its time; False when another replica already did."""
    now = now or utcnow()
    if not _flip(tx, deliberation_id, now, due_only=True):
        return False
    _record_result(tx, deliberation_id, None, "closed at its closing time")
    return True


# -- reading -------------------------------------------------------------------


def get(tx, principal, deliberation_id):
    principal = Principal(principal)
    deliberation = _get_deliberation(tx.session, deliberation_id)
    appeal = app.find_appeal(tx.session, deliberation.appeal_id)
    if not _may_see(principal, deliberation, appeal):
        raise NotFound(f"no deliberation with id {deliberation_id}")
    return view(tx.session, deliberation, principal)


def list_mine(tx, principal, query):
    """The votes the caller may take part in: those of their grid, estate and building,
    newest opened first, a page at a time. Someone with no home here has none."""
    principal = Principal(principal)
    query = load(contract.DeliberationQuery, query)
    home = [
        and_(Deliberation.scope == scope, Deliberation.scope_id == place)
        for scope, place in (
            ("grid", principal.grid_id),
            ("estate", principal.estate_id),
            ("building", principal.building_id),
        )
        if place is not None
    ]
    order = [Deliberation.opened_at, Deliberation.id]
    if not home:
        return empty_page(order, query)
    stmt = select(Deliberation, Appeal).join(Appeal, Appeal.id == Deliberation.appeal_id)
    stmt = stmt.where(or_(*home))
    if query.get("status"):
        stmt = stmt.where(Deliberation.status == query["status"])
    rows, next_cursor = keyset_page(
        tx.session, stmt, order, query, descending=True, entity=lambda row: row.Deliberation
    )
    cast, mine = _tallies(tx.session, [row.Deliberation.id for row in rows], principal)
    items = [_view(d, a, principal, cast.get(d.id, 0), mine.get(d.id)) for d, a in rows]
    return {"items": items, "next_cursor": next_cursor}


def _tallies(session, ids, principal):
    """Votes cast on each of these votes and the caller's own vote on each: two queries
    however many: ({id: count}, {id: option})."""
    cast = dict(
        session.execute(
            select(Vote.deliberation_id, func.count())
            .where(Vote.deliberation_id.in_(ids))
            .group_by(Vote.deliberation_id)
        ).all()
    )
    mine = dict(
        session.execute(
            select(Vote.deliberation_id, Vote.option).where(
                Vote.deliberation_id.in_(ids), Vote.person_id == principal.id
            )
        ).all()
    )
    return cast, mine


def view(session, deliberation, principal):
    cast, mine = _tallies(session, [deliberation.id], principal)
    appeal = session.get(Appeal, deliberation.appeal_id)  # mostly loaded already
    return _view(
        deliberation, appeal, principal, cast.get(deliberation.id, 0), mine.get(deliberation.id)
    )


def _view(deliberation, appeal, principal, cast, mine):
    """Counts show only once the vote is closed; before, how many voted and my own vote.
    A confidential appeal's title, and the question, which may quote it, are for those
    who may read its text (是否保密), like the appeal's own text."""
    closed = deliberation.status == "closed"
    readable = access.may_read_text(principal, appeal)
    return {
        "id": deliberation.id,
        "appeal_id": deliberation.appeal_id,
        "appeal_title": app.appeal_text(appeal, principal)["title"],
        "question": deliberation.question if readable else None,
        "options": list(deliberation.options),
        "scope": deliberation.scope,
        "scope_id": deliberation.scope_id,
        "eligible": deliberation.eligible,
        "quorum_share": deliberation.quorum_share,
        "votes_cast": cast,
        "my_vote": mine,
        "opened_at": iso(deliberation.opened_at),
        "closes_at": iso(deliberation.closes_at),
        "closed_at": iso(deliberation.closed_at),
        "status": deliberation.status,
        "outcome": deliberation.outcome if closed else None,
        "winner": deliberation.winner if closed else None,
        "counts": dict(deliberation.counts) if closed and deliberation.counts else None,
    }
