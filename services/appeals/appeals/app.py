"""The appeals service layer: each use case runs inside one unit of work."""

from datetime import timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from yzw_kernel.contracts import appeals as contract
from yzw_kernel.errors import Conflict, InvalidInput, NotFound
from yzw_kernel.paging import keyset_page
from yzw_kernel.principal import Principal
from yzw_kernel.types import iso, utcnow
from yzw_kernel.validation import load

from . import access, domain
from .models import Appeal, Counter, ProjectProposal, TimelineEntry

EVENT_FOR_ACTION = {
    "dispatch": "appeal_dispatched",
    "claim": "appeal_claimed",
    "resolve": "appeal_resolved",
    "resolve_by_project": "appeal_resolved",
    "escalate": "appeal_escalated",
    "reopen": "appeal_dispatched",
}


def find_appeal(session, appeal_id):
    appeal = session.get(Appeal, appeal_id) if appeal_id else None
    if appeal is None:
        raise NotFound(f"no appeal with id {appeal_id}")
    return appeal


def visible_appeal(session, principal, appeal_id, also=None):
    appeal = find_appeal(session, appeal_id)
    if not (access.may_see(principal, appeal) or (also and also(principal, appeal))):
        raise NotFound(f"no appeal with id {appeal_id}")  # not even that it exists
    return appeal


def record(tx, appeal, step, settings=None, now=None):
    """Write a transition to the timeline and publish what the suite needs to hear."""
    now = now or utcnow()
    tx.session.add(
        TimelineEntry(
            appeal_id=appeal.id,
            at=now,
            actor_id=step.actor_id,
            action=step.action,
            from_status=step.from_status,
            to_status=step.to_status,
            note=step.note,
        )
    )
    if step.action == "claim":
        appeal.claimed_at = now
    elif step.to_status == "resolved":
        appeal.resolved_at = now
    elif step.to_status == "closed":
        appeal.closed_at = now
    if step.action in ("escalate", "return", "requeue", "reopen") and settings is not None:
        appeal.deadline_at = domain.deadline_for(
            appeal.category, appeal.level, settings["deadlines"], now
        )
    tx.flush()
    event = EVENT_FOR_ACTION.get(step.action)
    if step.action == "close":
        tx.publish(
            "appeal_closed",
            {**_event(appeal, step), "handler_id": appeal.handler_id, "rating": appeal.rating},
        )
    elif event:
        tx.publish(event, _event(appeal, step))


def _event(appeal, step):
    # who raised an anonymous appeal is not told to the bus either, when they act on it
    anonymous_actor = appeal.anonymous and step.actor_id == appeal.submitter_id
    return {
        "appeal_id": appeal.id,
        "number": appeal.number,
        "community_id": appeal.community_id,
        "grid_id": appeal.grid_id,
        "category": appeal.category,
        "status": appeal.status,
        "level": appeal.level,
        "assignee_kind": appeal.assignee_kind,
        "assignee_id": appeal.assignee_id,
        "actor_id": None if anonymous_actor else step.actor_id,
    }


def _next_number(tx, now):
    """2026-000042: a yearly sequence, taken under the counter row's lock."""
    key = f"appeal-number-{now.year}"
    session = tx.session
    counter = session.get(Counter, key, with_for_update=True)
    if counter is None:
        try:
            with session.begin_nested():
                session.add(Counter(key=key, value=0))
        except IntegrityError:
            pass  # another transaction created it first
        counter = session.get(Counter, key, with_for_update=True, populate_existing=True)
    counter.value += 1
    return f"{now.year}-{counter.value:06d}"


# -- the lifecycle -------------------------------------------------------------


def submit(tx, principal, place, data, settings):
    """群众点单: a resident (or staff on their behalf) raises an appeal; it goes to
    its grid's queue and, if the grid has a worker, straight to them."""
    principal = Principal(principal)
    data = load(contract.AppealIn, data)
    grid = place["grid"]
    own_home = principal.household_id == data["household_id"]
    on_behalf = principal.is_grid_staff(grid["id"], grid["community_id"], grid.get("street_id"))
    access.require(own_home or on_behalf, "raise an appeal for this household")
    if data["source"] == "resident_app" and not own_home:
        raise InvalidInput(
            "staff raise appeals from a visit, a patrol or the hotline",
            {"source": ["visit, patrol or hotline when raised for someone else"]},
        )
    now = utcnow()
    appeal = Appeal(
        number=_next_number(tx, now),
        street_id=grid["street_id"],
        community_id=grid["community_id"],
        grid_id=grid["id"],
        household_id=data["household_id"],
        building_id=place["household"]["building"]["id"],
        submitter_id=principal.id if own_home else None,
        anonymous=data["anonymous"],
        source=data["source"],
        category=data["category"],
        title=data["title"],
        description=data["description"],
        photo_urls=data["photo_urls"],
        confidential=data["confidential"],
        created_at=now,
        deadline_at=domain.deadline_for(data["category"], "grid", settings["deadlines"], now),
    )
    step = domain.submitted(appeal, principal.id, f"from {data['source']}")
    tx.session.add(appeal)
    tx.flush()
    record(tx, appeal, step, now=now)
    tx.publish("appeal_submitted", _event(appeal, step))
    worker = next((s for s in place["grid_staff"] if s["role"] == "grid_worker"), None)
    if worker is not None:
        routed = domain.dispatch(
            appeal, None, "person", worker["person_id"], "routed to the grid worker"
        )
        record(tx, appeal, routed, now=now)
    return view(tx.session, appeal, principal)


def _act(tx, principal, appeal_id, allowed, action_name, also_visible_to=None):
    principal = Principal(principal)
    appeal = visible_appeal(tx.session, principal, appeal_id, also_visible_to)
    access.require(allowed(principal, appeal), action_name)
    return principal, appeal


DISPATCH = "dispatch this appeal"


def community_for_staff(session, principal, appeal_id, action):
    """The appeal's community, once the caller is found to be staff of its level. Asked
    before grid or volunteer is asked about a target or a scope in that community, so
    that nobody else learns from their answer what exists; the use case checks again."""
    principal = Principal(principal)
    appeal = visible_appeal(session, principal, appeal_id)
    access.require(access.is_level_staff(principal, appeal), action)
    return appeal.community_id


def dispatch(tx, principal, appeal_id, data, target):
    """网格派单, to a target its owner has confirmed is of the appeal's community: `target`
    is grid's answer (a person, a member organisation, the street's department) or
    volunteer's (a team), asked by `rpc_lifecycle.dispatch`."""
    data = load(contract.DispatchIn, data)
    principal, appeal = _act(tx, principal, appeal_id, access.is_level_staff, DISPATCH)
    kind, target_id = data["assignee_kind"], data["assignee_id"]
    _require_confirmed_target(appeal, kind, target_id, target)
    if appeal.confidential and kind == "person" and not target.get("staff"):
        raise InvalidInput(
            "a confidential appeal goes only to the community's staff",
            {"assignee_id": ["a confidential appeal goes only to the community's staff"]},
        )
    step = domain.dispatch(appeal, principal.id, kind, target_id)
    record(tx, appeal, step)
    return view(tx.session, appeal, principal)


def _require_confirmed_target(appeal, kind, target_id, target):
    """The owner's answer is about this very target, in this appeal's community (and for
    a department, its street); anything else is refused as if the target did not exist."""
    expected = {"kind": kind, "id": target_id, "community_id": appeal.community_id}
    if kind == "department":
        expected["street_id"] = appeal.street_id
    if not isinstance(target, dict) or any(target.get(k) != v for k, v in expected.items()):
        raise NotFound(
            f"no {kind} {target_id} in this community",
            {"assignee_id": ["not in this community"]},
        )


def claim(tx, principal, appeal_id):
    principal, appeal = _act(
        tx, principal, appeal_id, _may_claim_or_lost, "take on this appeal", access.may_compete_for
    )
    record(tx, appeal, domain.claim(appeal, principal.id))
    return view(tx.session, appeal, principal)


def _may_claim_or_lost(principal, appeal):
    """Allowed to claim; or a rival whose race is already lost, who gets the 409."""
    if appeal.status == "claimed" and access.may_compete_for(principal, appeal):
        return True
    return access.may_claim(principal, appeal)


def resolve(tx, principal, appeal_id, data):
    data = load(contract.ResolveIn, data)
    principal, appeal = _act(tx, principal, appeal_id, access.is_handler, "resolve this appeal")
    record(tx, appeal, domain.resolve(appeal, principal.id, data["resolution"]))
    return view(tx.session, appeal, principal)


def rate(tx, principal, appeal_id, data, settings):
    data = load(contract.RateIn, data)
    principal, appeal = _act(
        tx, principal, appeal_id, lambda p, a: a.submitter_id == p.id, "rate someone else's appeal"
    )
    step = domain.rate(appeal, principal.id, data["score"], data["comment"])
    record(tx, appeal, step, settings)
    return view(tx.session, appeal, principal)


def reject(tx, principal, appeal_id, data):
    data = load(contract.ReasonIn, data)
    principal, appeal = _act(tx, principal, appeal_id, access.is_level_staff, "reject this appeal")
    record(tx, appeal, domain.reject(appeal, principal.id, data["reason"]))
    return view(tx.session, appeal, principal)


def withdraw(tx, principal, appeal_id, data):
    data = load(contract.NoteIn, data)
    principal, appeal = _act(
        tx, principal, appeal_id, lambda p, a: a.submitter_id == p.id, "withdraw this appeal"
    )
    record(tx, appeal, domain.withdraw(appeal, principal.id, data["note"]))
    return view(tx.session, appeal, principal)


def escalate(tx, principal, appeal_id, data, settings):
    data = load(contract.ReasonIn, data)
    principal, appeal = _act(
        tx, principal, appeal_id, access.is_level_staff, "escalate this appeal"
    )
    record(tx, appeal, domain.escalate(appeal, principal.id, data["reason"]), settings)
    return view(tx.session, appeal, principal)


def return_appeal(tx, principal, appeal_id, data, settings):
    data = load(contract.ReasonIn, data)
    principal, appeal = _act(tx, principal, appeal_id, access.is_handler, "return this appeal")
    record(tx, appeal, domain.return_to_queue(appeal, principal.id, data["reason"]), settings)
    return view(tx.session, appeal, principal)


def request_extension(tx, principal, appeal_id, data):
    """延期: the handler asks for more days; staff grant them."""
    data = load(contract.ExtensionIn, data)
    principal, appeal = _act(tx, principal, appeal_id, access.is_handler, "ask for more time")
    if appeal.status not in domain.OPEN:
        raise Conflict(f"the appeal is {appeal.status}; nothing to extend")
    if appeal.extension_requested_days:
        raise Conflict("an extension is already waiting for staff")
    appeal.extension_requested_days = data["days"]
    note = f"asks {data['days']} more days: {data['reason']}"
    add_note(tx, appeal, principal.id, "extension_requested", note)
    return view(tx.session, appeal, principal)


def grant_extension(tx, principal, appeal_id):
    principal, appeal = _act(tx, principal, appeal_id, access.is_level_staff, "grant extensions")
    days = appeal.extension_requested_days
    if not days:
        raise Conflict("no extension was asked for")
    base = max(appeal.deadline_at or utcnow(), utcnow())
    appeal.deadline_at = base + timedelta(days=days)
    appeal.extension_requested_days = None
    add_note(tx, appeal, principal.id, "extension_granted", f"{days} more days")
    return view(tx.session, appeal, principal)


def urge(tx, principal, appeal_id):
    """催办: the submitter presses once the deadline has passed, at most once a day."""
    principal, appeal = _act(
        tx, principal, appeal_id, lambda p, a: a.submitter_id == p.id, "urge this appeal"
    )
    now = utcnow()
    if not domain.is_overdue(appeal, now):
        raise Conflict("the appeal is not overdue; urging opens once its deadline passes")
    if appeal.urged_at is not None and now - appeal.urged_at < timedelta(days=1):
        raise Conflict("already urged today")
    appeal.urged_at = now
    add_note(tx, appeal, principal.id, "urged", "the submitter urges (催办)")
    return view(tx.session, appeal, principal)


def add_note(tx, appeal, actor_id, action, note):
    """A timeline entry that changes no status."""
    tx.session.add(
        TimelineEntry(
            appeal_id=appeal.id,
            actor_id=actor_id,
            action=action,
            from_status=appeal.status,
            to_status=appeal.status,
            note=note,
        )
    )
    tx.flush()


# -- reading ---------------------------------------------------------------------


def get(tx, principal, appeal_id):
    principal = Principal(principal)
    return view(tx.session, visible_appeal(tx.session, principal, appeal_id), principal)


# An appeal's free text: what a confidential appeal (是否保密) shows only to those who may
# read it. Everyone else gets null in each of these, and in each timeline note.
TEXT_FIELDS = ("title", "description", "photo_urls", "resolution", "rating_comment")


def appeal_text(appeal, principal):
    """The appeal's free text as `principal` may see it: each field, or null."""
    readable = access.may_read_text(principal, appeal)
    return {name: getattr(appeal, name) if readable else None for name in TEXT_FIELDS}


def summary(appeal, principal, now=None):
    now = now or utcnow()
    return {
        "id": appeal.id,
        "number": appeal.number,
        "status": appeal.status,
        "level": appeal.level,
        "category": appeal.category,
        "source": appeal.source,
        "title": appeal_text(appeal, principal)["title"],
        "grid_id": appeal.grid_id,
        "community_id": appeal.community_id,
        "assignee": {"kind": appeal.assignee_kind, "id": appeal.assignee_id}
        if appeal.assignee_id
        else None,
        "rating": appeal.rating,
        "confidential": appeal.confidential,
        "deadline_at": iso(appeal.deadline_at),
        "overdue": domain.is_overdue(appeal, now),
        "created_at": iso(appeal.created_at),
    }


def view(session, appeal, principal):
    text = appeal_text(appeal, principal)
    readable = access.may_read_text(principal, appeal)
    knows_submitter = access.may_know_submitter(principal, appeal)
    # an anonymous appeal's place is its building, for all but its handler
    sees_household = access.may_see_household(principal, appeal)
    timeline = session.scalars(
        select(TimelineEntry).where(TimelineEntry.appeal_id == appeal.id).order_by(TimelineEntry.id)
    )
    return {
        **summary(appeal, principal),
        **text,
        "anonymous": appeal.anonymous,
        "submitter_id": appeal.submitter_id if knows_submitter else None,
        "household_id": appeal.household_id if sees_household else None,
        "building_id": appeal.building_id,
        "handler_id": appeal.handler_id,
        "extension_requested_days": appeal.extension_requested_days,
        "claimed_at": iso(appeal.claimed_at),
        "resolved_at": iso(appeal.resolved_at),
        "closed_at": iso(appeal.closed_at),
        "timeline": [
            {
                "at": iso(entry.at),
                "actor_id": entry.actor_id
                if knows_submitter or entry.actor_id != appeal.submitter_id
                else None,
                "action": entry.action,
                "from_status": entry.from_status,
                "to_status": entry.to_status,
                "note": entry.note if readable else None,
            }
            for entry in timeline
        ],
    }


def list_appeals(tx, principal, query):
    """Newest first, keyset-paginated; each person sees only what they may."""
    principal = Principal(principal)
    query = load(contract.AppealQuery, query)
    visible = [Appeal.submitter_id == principal.id, Appeal.assignee_id == principal.id]
    visible.append(Appeal.handler_id == principal.id)
    staff_grids = [r["grid_id"] for r in principal.grid_roles]
    if staff_grids:
        visible.append(Appeal.grid_id.in_(staff_grids))
    # the community's admins; a treasurer is no staff of its appeals (see access.is_level_staff)
    admin_communities = [
        r["community_id"] for r in principal.admin_roles if r["role"] == "community_admin"
    ]
    if admin_communities:
        visible.append(Appeal.community_id.in_(admin_communities))
    streets = [r["street_id"] for r in principal.admin_roles if r["role"] == "street_admin"]
    if streets:
        visible.append(Appeal.street_id.in_(streets))
    claimable = _claimable(principal)
    if claimable is not None:
        visible.append(claimable)
    stmt = select(Appeal).where(or_(*visible))
    filters = {
        "community_id": Appeal.community_id,
        "grid_id": Appeal.grid_id,
        "status": Appeal.status,
        "category": Appeal.category,
    }
    for name, column in filters.items():
        if query.get(name):
            stmt = stmt.where(column == query[name])
    if query.get("assignee"):
        who = principal.id if query["assignee"] == "me" else query["assignee"]
        stmt = stmt.where(Appeal.assignee_id == who)
    if query.get("mine"):
        stmt = stmt.where(Appeal.submitter_id == principal.id)
    if query.get("claimable"):
        stmt = stmt.where(claimable if claimable is not None else Appeal.id.is_(None))
        stmt = stmt.where(or_(Appeal.assignee_kind.is_(None), Appeal.assignee_kind != "person"))
    order = [Appeal.created_at, Appeal.id]
    rows, next_cursor = keyset_page(tx.session, stmt, order, query, descending=True)
    now = utcnow()
    return {"items": [summary(a, principal, now) for a in rows], "next_cursor": next_cursor}


def _claimable(principal):
    """Open appeals a party member may take from their community's grid queues (党员接单),
    as access.may_claim decides: a confidential one only from a grid they staff."""
    if not (principal.party_member and principal.community_id):
        return None
    staff_grids = [r["grid_id"] for r in principal.grid_roles]
    return and_(
        Appeal.community_id == principal.community_id,
        Appeal.level == "grid",
        Appeal.status.in_(("submitted", "dispatched")),
        or_(Appeal.assignee_kind.is_(None), Appeal.assignee_kind != "person"),
        or_(Appeal.confidential.is_(False), Appeal.grid_id.in_(staff_grids)),
    )


# -- what other services tell us -------------------------------------------------


def requeue_for_revoked_role(tx, envelope, settings):
    """grid.role_revoked: the person's open appeals in that grid go back to its queue."""
    data = envelope["data"]
    person = data["person_id"]
    held = tx.session.scalars(
        select(Appeal).where(
            Appeal.grid_id == data["grid_id"],
            Appeal.status.in_(("dispatched", "claimed")),
            or_(
                and_(Appeal.assignee_kind == "person", Appeal.assignee_id == person),
                Appeal.handler_id == person,
            ),
        )
    ).all()
    for appeal in held:
        step = domain.requeue(appeal, f"{data['role']} role revoked; back to the grid's queue")
        record(tx, appeal, step, settings)
    return len(held)


def resolve_for_completed_project(tx, envelope):
    """funding.project_completed: the project's appeals are resolved and await ratings."""
    data = envelope["data"]
    resolved = 0
    for appeal in tx.session.scalars(select(Appeal).where(Appeal.id.in_(data["appeal_ids"]))):
        if appeal.status not in domain.OPEN:
            continue  # already resolved, closed, rejected or withdrawn: nothing to do
        note = (
            f"resolved by project {data['project_id']} "
            f"({data['beneficiaries']} beneficiaries); please rate the result"
        )
        record(tx, appeal, domain.resolve_by_project(appeal, note))
        resolved += 1
    if data.get("proposal_id"):
        proposal = tx.session.get(ProjectProposal, data["proposal_id"])
        if proposal is not None and proposal.completed_at is None:
            proposal.completed_at = utcnow()
    return resolved
