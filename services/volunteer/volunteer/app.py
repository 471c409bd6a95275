"""The volunteer service layer: teams, activities, red stars, rewards, leaderboards."""

import uuid
from datetime import datetime

from sqlalchemy import and_, case, func, select, update

from yzw_kernel.contracts import volunteer as contract
from yzw_kernel.contracts.paging import PageQuery
from yzw_kernel.db import get_one, insert_unless_present
from yzw_kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from yzw_kernel.paging import empty_page, keyset_page
from yzw_kernel.principal import Principal
from yzw_kernel.types import iso, utcnow
from yzw_kernel.validation import load

from . import access, domain, ledger
from .models import Account, Activity, Entry, Reward, SignUp, Team, TeamMember, VisitAward, Voucher

LOCAL_TIME = domain.LOCAL_TIME  # the visit cap resets at Beijing midnight


def _require(allowed, action):
    if not allowed:
        raise Forbidden(f"you may not {action}")


def _award(tx, account, stars, source, reason):
    """Credit stars once per source, and tell the suite."""
    entry = ledger.post(tx, account, "earn", stars, source, reason)
    if entry is not None:
        tx.publish(
            "stars_awarded",
            {
                "account_id": account.id,
                "owner_kind": account.owner_kind,
                "owner_id": account.owner_id,
                "stars": stars,
                "source": source,
                "reason": reason,
                "balance": account.balance,
            },
        )
    return entry


# -- what the suite tells us -----------------------------------------------------


def open_account_for_person(tx, envelope):
    """grid.person_registered: every person gets a red-star account."""
    data = envelope["data"]
    ledger.open_account(
        tx, "person", data["person_id"], data["community_id"], data["grid_id"], data["name"]
    )


def award_for_closed_appeal(tx, envelope, rules):
    """appeals.appeal_closed: the handler earns, more for a five-star rating."""
    data = envelope["data"]
    stars = domain.stars_for_closed_appeal(data["rating"], rules)
    if not data["handler_id"] or stars == 0:
        return None
    account = ledger.open_account(tx, "person", data["handler_id"], data["community_id"])
    reason = f"appeal {data['number']} closed, rated {data['rating']}"
    # keyed by the appeal, not the event: an appeal closes once, however it is replayed
    return _award(tx, account, stars, f"appeal:{data['appeal_id']}", reason)


def award_for_visit(tx, envelope, rules):
    """grid.visit_logged: stars for door-to-door visits, capped per local day."""
    data = envelope["data"]
    day = datetime.fromisoformat(data["visited_at"]).astimezone(LOCAL_TIME).date().isoformat()
    # One UPDATE counts the visit and says how many came before it; the row
    # lock makes two visits handled at once count one after the other.
    insert_unless_present(
        tx.session,
        VisitAward,
        [{"id": str(uuid.uuid4()), "person_id": data["visitor_id"], "day": day, "count": 0}],
        conflict_columns=["person_id", "day"],
    )
    counted = tx.session.execute(
        update(VisitAward)
        .where(VisitAward.person_id == data["visitor_id"], VisitAward.day == day)
        .values(count=VisitAward.count + 1)
        .returning(VisitAward.count)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    stars = domain.stars_for_visit(counted - 1, rules)
    if stars == 0:
        return None
    account = ledger.open_account(tx, "person", data["visitor_id"], grid_id=data["grid_id"])
    return _award(tx, account, stars, f"visit:{data['visit_id']}", f"visit on {day}")


# -- stars ---------------------------------------------------------------------


def _community_staff(principal, community_id):
    return community_id is not None and (
        principal.is_community_admin(community_id)
        or any(r["community_id"] == community_id for r in principal.grid_roles)
    )


def stars(tx, principal, person_id, query=None):
    query = load(PageQuery, query or {})
    principal = Principal(principal)
    account = ledger.require_account(tx.session, "person", person_id)
    _require(
        principal.id == person_id or _community_staff(principal, account.community_id),
        "see this person's red stars",
    )
    return _stars_view(tx.session, account, query)


def _stars_view(session, account, query=None):
    """The balance, and the newest entries a page at a time."""
    query = query or load(PageQuery, {})
    stmt = select(Entry).where(Entry.account_id == account.id)
    entries, next_cursor = keyset_page(session, stmt, [Entry.id], query, descending=True)
    return {
        "next_cursor": next_cursor,
        "person_id": account.owner_id,
        "balance": account.balance,
        "entries": [
            {
                "kind": e.kind,
                "amount": e.amount,
                "source": e.source,
                "reason": e.reason,
                "created_at": iso(e.created_at),
            }
            for e in entries
        ],
    }


def manual_award(tx, principal, data, people):
    """A community admin awards stars by hand, with a reason, to one of their community's
    people as grid knows them (`people`: grid's principals by person id)."""
    principal = Principal(principal)
    data = load(contract.AwardIn, data)
    principals = access.ask_grid(people, data["person_id"])
    access.require_awardable(principal, principals, data["person_id"])
    person = Principal(principals[data["person_id"]])
    account = ledger.open_account(
        tx, "person", person.id, person.community_id, person.grid_id, person.name
    )
    source = f"manual:{uuid.uuid4()}"
    _award(tx, account, data["stars"], source, f"{data['reason']} (by {principal.name})")
    return _stars_view(tx.session, account)


def leaderboard(tx, principal, query):
    """The community's own board: its residents and staff see who earned most."""
    principal = Principal(principal)
    query = load(contract.LeaderboardQuery, query)
    if not (query.get("community_id") or query.get("grid_id")):
        raise InvalidInput("say which community or grid", {"community_id": ["or grid_id"]})
    communities = {query.get("community_id")} - {None}
    if query.get("grid_id"):
        # the grid's accounts say its community; a grid with none has no board to show
        communities |= set(
            tx.session.scalars(
                select(Account.community_id)
                .where(Account.grid_id == query["grid_id"], Account.community_id.is_not(None))
                .distinct()
            )
        )
    _require(
        all(principal.belongs_to_community(c) for c in communities),
        "see another community's leaderboard",
    )
    since = domain.period_start(query["period"], utcnow())
    stmt = (
        select(Account.owner_kind, Account.owner_id, Account.name, func.sum(Entry.amount))
        .join(Entry, Entry.account_id == Account.id)
        .where(Entry.kind == "earn")
        .group_by(Account.id, Account.owner_kind, Account.owner_id, Account.name)
    )
    if query.get("community_id"):
        stmt = stmt.where(Account.community_id == query["community_id"])
    if query.get("grid_id"):
        stmt = stmt.where(Account.grid_id == query["grid_id"])
    if since is not None:
        stmt = stmt.where(Entry.created_at >= since)
    rows = tx.session.execute(
        stmt.order_by(func.sum(Entry.amount).desc(), Account.name, Account.owner_id).limit(
            query["limit"]
        )
    ).all()
    return {
        "period": query["period"],
        "since": iso(since),
        "leaders": [
            # PostgreSQL sums BIGINT to NUMERIC, which pg8000 hands back as Decimal
            {"rank": rank, "owner_kind": kind, "owner_id": owner, "name": name, "stars": int(total)}
            for rank, (kind, owner, name, total) in enumerate(rows, start=1)
        ],
    }


def community_summary(tx, principal, community_id):
    """Volunteering in a community at a glance, for its staff (the dashboard's part)."""
    principal = Principal(principal)
    _require(_community_staff(principal, community_id), "see this community's volunteering")
    s = tx.session
    teams = select(Team.id).where(Team.community_id == community_id)
    by_status = dict(
        s.execute(
            select(Activity.status, func.count())
            .where(Activity.community_id == community_id)
            .group_by(Activity.status)
        ).all()
    )
    minutes = s.scalar(
        select(func.coalesce(func.sum(SignUp.minutes), 0))
        .join(Activity, SignUp.activity_id == Activity.id)
        .where(
            Activity.community_id == community_id,
            SignUp.status == "signed_up",
            SignUp.checked_out_at.is_not(None),
        )
    )
    accounts = select(Account.id).where(Account.community_id == community_id)
    earned = s.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0)).where(
            Entry.account_id.in_(accounts), Entry.kind == "earn"
        )
    )
    held = s.scalar(
        select(func.coalesce(func.sum(Account.balance), 0)).where(
            Account.community_id == community_id
        )
    )
    # PostgreSQL sums to NUMERIC, which pg8000 hands back as Decimal
    minutes = int(minutes)
    return {
        "community_id": community_id,
        "teams": s.scalar(select(func.count()).select_from(teams.subquery())),
        "volunteers": s.scalar(
            select(func.count(func.distinct(TeamMember.person_id))).where(
                TeamMember.team_id.in_(teams)
            )
        ),
        "activities_by_status": {status: int(n) for status, n in by_status.items()},
        "activities_completed": int(by_status.get("completed", 0)),
        "service_minutes": minutes,
        "service_hours": round(minutes / 60, 1),
        "accounts": s.scalar(select(func.count()).select_from(accounts.subquery())),
        "stars_earned": int(earned),
        "stars_held": int(held),
    }


# -- teams and activities --------------------------------------------------------


def _person_names(session, person_ids):
    """Names by person id, as their red-star accounts know them (from grid.person_registered)."""
    if not person_ids:
        return {}
    rows = session.execute(
        select(Account.owner_id, Account.name).where(
            Account.owner_kind == "person", Account.owner_id.in_(set(person_ids))
        )
    )
    return {owner_id: name for owner_id, name in rows if name}


def _team_views(session, teams):
    """Teams with their members and their names, read in two queries for all of them."""
    members = {team.id: [] for team in teams}
    if teams:
        rows = session.execute(
            select(TeamMember.team_id, TeamMember.person_id).where(
                TeamMember.team_id.in_(list(members))
            )
        )
        for team_id, person_id in rows:
            members[team_id].append(person_id)
    names = _person_names(
        session, [p for ids in members.values() for p in ids] + [t.leader_id for t in teams]
    )
    return [
        {
            "id": team.id,
            "community_id": team.community_id,
            "name": team.name,
            "focus": team.focus,
            "leader_id": team.leader_id,
            "members": sorted(members[team.id]),
            "member_count": len(members[team.id]),
            "names": {p: names[p] for p in {team.leader_id, *members[team.id]} if p in names},
        }
        for team in teams
    ]


def _team_view(session, team):
    return _team_views(session, [team])[0]


def create_team(tx, principal, data, people):
    """A community admin creates a team led by one of the community's people."""
    principal = Principal(principal)
    data = load(contract.TeamIn, data)
    _require(principal.is_community_admin(data["community_id"]), "create teams here")
    leader = {"leader_id": data["leader_id"]}
    access.require_people_of(
        data["community_id"], leader, access.ask_grid(people, data["leader_id"])
    )
    if tx.session.scalar(
        select(Team.id).where(Team.community_id == data["community_id"], Team.name == data["name"])
    ):
        raise Conflict("a team with this name already exists here")
    team = Team(**data)
    tx.session.add(team)
    tx.flush()
    tx.session.add(TeamMember(team_id=team.id, person_id=team.leader_id))
    tx.flush()
    return _team_view(tx.session, team)


def _leads(principal, team):
    return principal.id == team.leader_id or principal.is_community_admin(team.community_id)


def add_member(tx, principal, team_id, data, people):
    """The team's leader or admin adds one of the community's people."""
    principal = Principal(principal)
    data = load(contract.TeamMemberIn, data)
    principals = access.ask_grid(people, data["person_id"])
    team = get_one(tx.session, Team, team_id, "team")
    _require(_leads(principal, team), "change this team")
    access.require_people_of(team.community_id, {"person_id": data["person_id"]}, principals)
    if tx.session.scalar(
        select(TeamMember.id).where(
            TeamMember.team_id == team.id, TeamMember.person_id == data["person_id"]
        )
    ):
        raise Conflict("already a member of the team")
    tx.session.add(TeamMember(team_id=team.id, person_id=data["person_id"]))
    tx.flush()
    return _team_view(tx.session, team)


def _in_team(session, principal, team):
    """The team's community's own people, and its members (who may live elsewhere)."""
    return principal.belongs_to_community(team.community_id) or (
        session.scalar(
            select(TeamMember.id).where(
                TeamMember.team_id == team.id, TeamMember.person_id == principal.id
            )
        )
        is not None
    )


def get_team(tx, principal, team_id):
    principal = Principal(principal)
    team = get_one(tx.session, Team, team_id, "team")
    _require(_in_team(tx.session, principal, team), "see another community's team")
    return _team_view(tx.session, team)


def list_teams(tx, principal, query):
    """A community's teams by name, whole: only its staff add them, a handful each."""
    principal = Principal(principal)
    query = load(contract.TeamQuery, query)
    _require(principal.belongs_to_community(query["community_id"]), "see another community's teams")
    teams = tx.session.scalars(
        select(Team).where(Team.community_id == query["community_id"]).order_by(Team.name, Team.id)
    ).all()
    return _team_views(tx.session, teams)


def team_in_community(tx, team_id, community_id):
    """Appeals asks before it dispatches an appeal of `community_id` to a team: the team
    must be that community's. One that does not exist and one of another community are
    refused alike."""
    team = tx.session.get(Team, team_id) if team_id else None
    if team is None or team.community_id != community_id:
        raise NotFound(
            f"no volunteer_team {team_id} in this community",
            {"assignee_id": ["not in this community"]},
        )
    return {"kind": "volunteer_team", "id": team.id, "community_id": team.community_id}


def _activity_view(activity):
    return {
        c: getattr(activity, c)
        for c in (
            "id",
            "team_id",
            "community_id",
            "title",
            "place",
            "capacity",
            "signed_up",
            "stars_per_hour",
            "status",
            "completed_by",
            "stars_due",
            "decided_by",
            "decision_comment",
        )
    } | {"starts_at": iso(activity.starts_at), "ends_at": iso(activity.ends_at)}


def create_activity(tx, principal, data, limits):
    """The team's leader plans an activity within the service's limits (domain.ActivityLimits)."""
    principal = Principal(principal)
    data = load(contract.ActivityIn, data)
    team = get_one(tx.session, Team, data["team_id"], "team")
    _require(_leads(principal, team), "plan activities for this team")
    domain.check_activity(
        data["starts_at"], data["ends_at"], data["stars_per_hour"], limits, utcnow()
    )
    activity = Activity(**data, community_id=team.community_id, signed_up=0)
    tx.session.add(activity)
    tx.flush()
    return _activity_view(activity)


def get_activity(tx, principal, activity_id):
    principal = Principal(principal)
    activity = get_one(tx.session, Activity, activity_id, "activity")
    team = tx.session.get(Team, activity.team_id)
    _require(_in_team(tx.session, principal, team), "see another community's activity")
    return _activity_view(activity)


def list_activities(tx, principal, query):
    """A community's activities, newest start first, a page at a time."""
    principal = Principal(principal)
    query = load(contract.ActivityQuery, query)
    _require(
        principal.belongs_to_community(query["community_id"]),
        "see another community's activities",
    )
    stmt = select(Activity).where(Activity.community_id == query["community_id"])
    if query["team_id"]:
        stmt = stmt.where(Activity.team_id == query["team_id"])
    if query["status"]:
        stmt = stmt.where(Activity.status == query["status"])
    order = [Activity.starts_at, Activity.id]
    activities, next_cursor = keyset_page(tx.session, stmt, order, query, descending=True)
    return {"items": [_activity_view(a) for a in activities], "next_cursor": next_cursor}


def _signup_view(signup, person_name=None):
    view = {
        "activity_id": signup.activity_id,
        "person_id": signup.person_id,
        "status": signup.status,
        "checked_in_at": iso(signup.checked_in_at),
        "checked_out_at": iso(signup.checked_out_at),
        "minutes": signup.minutes,
    }
    if person_name:
        view["person_name"] = person_name
    return view


def list_sign_ups(tx, principal, activity_id):
    """Who signed up, for the team's leader and the community's staff: those still
    signed up first, then the cancelled, by name. Bounded by the activity's capacity
    (and the few who cancelled), so whole."""
    principal = Principal(principal)
    activity = get_one(tx.session, Activity, activity_id, "activity")
    team = tx.session.get(Team, activity.team_id)
    _require(
        principal.id == team.leader_id or _community_staff(principal, activity.community_id),
        "see who signed up for this activity",
    )
    # the name comes from the person's red-star account, learnt from grid.person_registered
    rows = tx.session.execute(
        select(SignUp, Account.name)
        .outerjoin(
            Account, and_(Account.owner_kind == "person", Account.owner_id == SignUp.person_id)
        )
        .where(SignUp.activity_id == activity.id)
        .order_by(
            case((SignUp.status == "signed_up", 0), else_=1),
            func.coalesce(Account.name, ""),
            SignUp.person_id,
        )
    ).all()
    return [_signup_view(signup, name) for signup, name in rows]


def _open_activity(session, activity_id):
    activity = get_one(session, Activity, activity_id, "activity")
    if activity.status != "open":
        raise Conflict(domain.CLOSED_ACTIVITY[activity.status])
    return activity


def sign_up(tx, principal, activity_id):
    principal = Principal(principal)
    activity = _open_activity(tx.session, activity_id)
    # the principal is grid's answer about who asks: one of the community's people
    _require(
        principal.belongs_to_community(activity.community_id),
        "sign up for another community's activity",
    )
    signup = tx.session.scalar(
        select(SignUp).where(SignUp.activity_id == activity.id, SignUp.person_id == principal.id)
    )
    if signup is not None and signup.status == "signed_up":
        raise Conflict("already signed up")
    # the database checks the capacity, so two last sign-ups cannot both get the place
    taken = tx.session.execute(
        update(Activity)
        .where(Activity.id == activity.id, Activity.signed_up < Activity.capacity)
        .values(signed_up=Activity.signed_up + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        domain.check_capacity(activity.capacity, activity.capacity)
    if signup is None:
        signup = SignUp(activity_id=activity.id, person_id=principal.id)
        tx.session.add(signup)
    signup.status = "signed_up"
    tx.flush()
    ledger.open_account(
        tx, "person", principal.id, principal.community_id, principal.grid_id, principal.name
    )
    return _signup_view(signup)


def _own_signup(session, activity, person_id):
    signup = session.scalar(
        select(SignUp).where(
            SignUp.activity_id == activity.id,
            SignUp.person_id == person_id,
            SignUp.status == "signed_up",
        )
    )
    if signup is None:
        raise NotFound("not signed up for this activity")
    return signup


def cancel_sign_up(tx, principal, activity_id):
    principal = Principal(principal)
    activity = _open_activity(tx.session, activity_id)
    signup = _own_signup(tx.session, activity, principal.id)
    if signup.checked_in_at is not None:
        raise Conflict("already checked in; check out instead")
    signup.status = "cancelled"
    tx.session.execute(
        update(Activity)
        .where(Activity.id == activity.id)
        .values(signed_up=Activity.signed_up - 1)
        .execution_options(synchronize_session=False)
    )
    tx.flush()
    return _signup_view(signup)


def _attendance(tx, principal, activity_id, data):
    """Volunteers check themselves in and out now; the team's leader may record
    anyone's time after the fact, within the activity's hours and not ahead of now."""
    principal = Principal(principal)
    data = load(contract.AttendanceIn, data)
    activity = _open_activity(tx.session, activity_id)
    person_id = data["person_id"] or principal.id
    recording = person_id != principal.id or data["at"] is not None
    now = utcnow()
    at = data["at"] or now
    if recording:
        team = tx.session.get(Team, activity.team_id)
        _require(_leads(principal, team), "record another volunteer's time")
        domain.check_recorded_time(at, activity.starts_at, activity.ends_at, now)
    return activity, _own_signup(tx.session, activity, person_id), at


def check_in(tx, principal, activity_id, data):
    activity, signup, at = _attendance(tx, principal, activity_id, data)
    if signup.checked_in_at is not None:
        raise Conflict("already checked in")
    signup.checked_in_at = at
    tx.flush()
    return _signup_view(signup)


def check_out(tx, principal, activity_id, data):
    activity, signup, at = _attendance(tx, principal, activity_id, data)
    if signup.checked_in_at is None:
        raise Conflict("check in first")
    if signup.checked_out_at is not None:
        raise Conflict("already checked out")
    if at < signup.checked_in_at:
        raise InvalidInput("checked out before checking in", {"at": ["after the check-in"]})
    minutes = domain.served_minutes(signup.checked_in_at, at, activity.starts_at, activity.ends_at)
    if minutes:
        _require_not_serving_elsewhere(tx.session, activity, signup, at)
    signup.checked_out_at = at
    signup.minutes = minutes
    tx.flush()
    return _signup_view(signup)


def _require_not_serving_elsewhere(session, activity, signup, checked_out_at):
    """One person's hour is paid once: the time counted here may not overlap time
    counted for them in another activity (parallel activities mint nothing more)."""
    start, end = domain.served_span(
        signup.checked_in_at, checked_out_at, activity.starts_at, activity.ends_at
    )
    # the person's account (opened at sign-up) is locked: their check-outs take turns
    session.execute(
        select(Account.id)
        .where(Account.owner_kind == "person", Account.owner_id == signup.person_id)
        .with_for_update()
    ).all()
    others = session.execute(
        select(SignUp.checked_in_at, SignUp.checked_out_at, Activity.starts_at, Activity.ends_at)
        .join(Activity, SignUp.activity_id == Activity.id)
        .where(
            SignUp.person_id == signup.person_id,
            SignUp.id != signup.id,
            SignUp.status == "signed_up",
            SignUp.minutes > 0,
            Activity.status != "rejected",
            Activity.starts_at < end,
            Activity.ends_at > start,
        )
    ).all()
    for other in others:
        if domain.overlaps(start, end, *domain.served_span(*other)):
            raise Conflict(
                "this time is already counted for the volunteer in another activity",
                {"at": ["overlaps time served in another activity"]},
            )


def complete_activity(tx, principal, activity_id, limits):
    """The leader completes the activity: each volunteer's hours are paid in stars, once.
    A completion paying more than `limits.approval_above` in all pays nothing yet: it
    waits for a community admin other than the one who completed it."""
    principal = Principal(principal)
    activity = get_one(tx.session, Activity, activity_id, "activity")
    team = tx.session.get(Team, activity.team_id)
    _require(_leads(principal, team), "complete this activity")
    flipped = tx.session.execute(
        update(Activity)
        .where(Activity.id == activity.id, Activity.status == "open")
        .values(status="completed", completed_at=utcnow(), completed_by=principal.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if flipped != 1:
        tx.session.refresh(activity)
        raise Conflict(domain.CLOSED_ACTIVITY[activity.status])
    tx.session.refresh(activity)
    # nobody checks in or out of an activity that is no longer open: what is due stays
    due = _stars_due(tx.session, activity)
    activity.stars_due = sum(stars for _, stars in due)
    awarded = {}
    if domain.needs_approval(activity.stars_due, limits):
        activity.status = "awaiting_approval"
    else:
        awarded = _pay(tx, activity, due)
    tx.flush()
    return {"activity": _activity_view(activity), "awarded": awarded}


def decide_completion(tx, principal, activity_id, decision, data):
    """A completion waiting for approval is approved (its stars are paid, once) or
    rejected (nothing is paid) by a community admin other than the one who completed it."""
    principal = Principal(principal)
    data = load(contract.ActivityDecisionIn, data)
    activity = get_one(tx.session, Activity, activity_id, "activity")
    access.require_second_person(principal, activity)
    decided = tx.session.execute(
        update(Activity)
        .where(Activity.id == activity.id, Activity.status == "awaiting_approval")
        .values(
            status="completed" if decision == "approve" else "rejected",
            decided_by=principal.id,
            decided_at=utcnow(),
            decision_comment=data["comment"],
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if decided != 1:
        tx.session.refresh(activity)
        raise Conflict(
            domain.CLOSED_ACTIVITY.get(activity.status, "the activity is not completed yet")
        )
    tx.session.refresh(activity)
    awarded = {}
    if decision == "approve":
        awarded = _pay(tx, activity, _stars_due(tx.session, activity), approved_by=principal.id)
    return {"activity": _activity_view(activity), "awarded": awarded}


def _stars_due(session, activity):
    """(sign-up, stars) of each volunteer who checked out."""
    signups = session.scalars(
        select(SignUp)
        .where(
            SignUp.activity_id == activity.id,
            SignUp.status == "signed_up",
            SignUp.checked_out_at.is_not(None),
        )
        .order_by(SignUp.person_id)
    )
    return [(s, domain.stars_for_service(s.minutes, activity.stars_per_hour)) for s in signups]


def _pay(tx, activity, due, approved_by=None):
    """Pay each volunteer's stars, once per activity, and tell the suite."""
    awarded, minutes = {}, 0
    for signup, earned in due:
        minutes += signup.minutes
        if earned:
            account = ledger.open_account(tx, "person", signup.person_id, activity.community_id)
            reason = f"{signup.minutes} minutes at {activity.title}"
            _award(tx, account, earned, f"activity:{activity.id}", reason)
            awarded[signup.person_id] = earned
    tx.publish(
        "activity_completed",
        {
            "activity_id": activity.id,
            "team_id": activity.team_id,
            "community_id": activity.community_id,
            "volunteers": len(awarded),
            "minutes": minutes,
            "stars": sum(awarded.values()),
            "approved_by": approved_by,
        },
    )
    return awarded


# -- rewards and vouchers ----------------------------------------------------------


def _reward_views(session, rewards):
    """Rewards with their providers' names (one query for all of them)."""
    names = _person_names(session, [r.provider_id for r in rewards])
    return [
        {
            **{
                c: getattr(reward, c)
                for c in ("id", "community_id", "name", "provider_id", "price_stars", "stock")
            },
            "provider_name": names.get(reward.provider_id),
        }
        for reward in rewards
    ]


def create_reward(tx, principal, data, people):
    """A community admin adds a reward given by one of the community's people."""
    principal = Principal(principal)
    data = load(contract.RewardIn, data)
    _require(principal.is_community_admin(data["community_id"]), "add rewards here")
    provider = {"provider_id": data["provider_id"]}
    access.require_people_of(
        data["community_id"], provider, access.ask_grid(people, data["provider_id"])
    )
    reward = Reward(**data)
    tx.session.add(reward)
    tx.flush()
    return _reward_views(tx.session, [reward])[0]


def list_rewards(tx, principal, query):
    principal = Principal(principal)
    query = load(contract.RewardQuery, query)
    _require(
        principal.belongs_to_community(query["community_id"]),
        "see another community's rewards",
    )
    rewards = tx.session.scalars(
        select(Reward)
        .where(Reward.community_id == query["community_id"])
        .order_by(Reward.price_stars, Reward.name)
    )
    return _reward_views(tx.session, list(rewards))


def _voucher_view(voucher, reward_name=None):
    return {
        "id": voucher.id,
        "code": voucher.code,
        "reward_id": voucher.reward_id,
        "reward_name": reward_name,
        "price_stars": voucher.price_stars,
        "status": voucher.status,
        "issued_at": iso(voucher.issued_at),
        "used_at": iso(voucher.used_at),
        "cancelled_at": iso(voucher.cancelled_at),
    }


def redeem(tx, principal, reward_id):
    """Spend stars on a reward: stock and balance are both checked by the database."""
    principal = Principal(principal)
    reward = get_one(tx.session, Reward, reward_id, "reward")
    account = ledger.require_account(tx.session, "person", principal.id)
    _require(
        reward.community_id in (account.community_id, principal.community_id),
        "redeem another community's rewards",
    )
    in_stock = tx.session.execute(
        update(Reward)
        .where(Reward.id == reward.id, Reward.stock > 0)
        .values(stock=Reward.stock - 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if in_stock != 1:
        raise Conflict("out of stock", {"stock": ["none left"]})
    voucher_id = str(uuid.uuid4())
    ledger.post(
        tx,
        account,
        "redeem",
        -reward.price_stars,
        f"voucher:{voucher_id}",
        f"redeemed {reward.name}",
    )
    voucher = Voucher(
        id=voucher_id,
        code=domain.voucher_code(uuid.uuid4().hex),
        reward_id=reward.id,
        account_id=account.id,
        price_stars=reward.price_stars,
    )
    tx.session.add(voucher)
    tx.flush()
    tx.publish(
        "stars_redeemed",
        {
            "account_id": account.id,
            "owner_id": account.owner_id,
            "voucher_id": voucher.id,
            "reward_id": reward.id,
            "stars": reward.price_stars,
            "balance": account.balance,
        },
    )
    return _voucher_view(voucher, reward.name)


def my_vouchers(tx, principal, query=None):
    """Newest first, a page at a time."""
    query = load(PageQuery, query or {})
    principal = Principal(principal)
    account = ledger.find_account(tx.session, "person", principal.id)
    order = [Voucher.issued_at, Voucher.id]
    if account is None:
        return empty_page(order, query)
    stmt = (
        select(Voucher, Reward.name)
        .join(Reward, Voucher.reward_id == Reward.id)
        .where(Voucher.account_id == account.id)
    )
    rows, next_cursor = keyset_page(
        tx.session, stmt, order, query, descending=True, entity=lambda row: row[0]
    )
    return {"items": [_voucher_view(v, name) for v, name in rows], "next_cursor": next_cursor}


def use_voucher(tx, principal, code):
    """The provider marks a voucher used when the service is given."""
    principal = Principal(principal)
    voucher = tx.session.scalar(select(Voucher).where(Voucher.code == code))
    if voucher is None:
        raise NotFound("no voucher with this code")
    reward = tx.session.get(Reward, voucher.reward_id)
    _require(principal.id == reward.provider_id, "redeem another provider's voucher")
    _change_voucher(tx, voucher, "used", used_at=utcnow())
    return _voucher_view(voucher, reward.name)


def cancel_voucher(tx, principal, voucher_id):
    """An unused voucher can be cancelled: the stars and the stock come back."""
    principal = Principal(principal)
    voucher = get_one(tx.session, Voucher, voucher_id, "voucher")
    account = tx.session.get(Account, voucher.account_id)
    _require(account.owner_id == principal.id, "cancel someone else's voucher")
    _change_voucher(tx, voucher, "cancelled", cancelled_at=utcnow())
    reward = tx.session.get(Reward, voucher.reward_id)
    tx.session.execute(
        update(Reward)
        .where(Reward.id == reward.id)
        .values(stock=Reward.stock + 1)
        .execution_options(synchronize_session=False)
    )
    ledger.post(
        tx,
        account,
        "reversal",
        voucher.price_stars,
        f"voucher-cancel:{voucher.id}",
        f"cancelled voucher for {reward.name}",
    )
    return _voucher_view(voucher, reward.name)


def _change_voucher(tx, voucher, status, **stamps):
    changed = tx.session.execute(
        update(Voucher)
        .where(Voucher.id == voucher.id, Voucher.status == "issued")
        .values(status=status, **stamps)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        tx.session.refresh(voucher)
        raise Conflict(f"the voucher is already {voucher.status}")
    tx.session.refresh(voucher)
