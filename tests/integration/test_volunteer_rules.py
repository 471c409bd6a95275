"""The volunteer service's rules through its service layer, on SQLite and PostgreSQL.

Principals are written out here as grid would give them (and given back by
`grid_principals`, as grid's `principals` would answer volunteer) and events are
built as the bus would deliver them, so each rule is checked without the bus; the
gateway tests cover the wiring. Races are real: green threads, each in its own
transaction on the same Store, which PostgreSQL runs side by side (row locks)
and SQLite one after another.
"""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import eventlet
import pytest
from conftest import VOLUNTEER_TEST_CONFIG
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from usecases import refused, run

from volunteer import app, domain, ledger
from volunteer.models import (
    Account,
    Activity,
    Entry,
    Reward,
    SignUp,
    Team,
    TeamMember,
    Voucher,
)
from volunteer.service import MIGRATIONS
from yzw_kernel.db import Store
from yzw_kernel.envelope import make_envelope, read_envelope
from yzw_kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from yzw_kernel.outbox import outbox_table
from yzw_kernel.types import utcnow

RULES = VOLUNTEER_TEST_CONFIG["STARS"]
BEIJING = ZoneInfo("Asia/Shanghai")
COMMUNITY, OTHER_COMMUNITY = "community-1", "community-2"
GRID, OTHER_GRID, FAR_GRID = "grid-1", "grid-2", "grid-9"
LIMITS = domain.ActivityLimits()  # 12 hours, 10 stars an hour, 7 days back, 300 alone
KNOWN = {}  # everyone this module made up, by id: the people grid knows


def grid_principals(person_ids):
    """What grid's `principals` answers: the principals of those it knows."""
    return {pid: KNOWN[pid] for pid in person_ids if pid in KNOWN}


def person(pid, community=COMMUNITY, grid=GRID, admin_of=None, grid_roles=()):
    KNOWN[pid] = {
        "person_id": pid,
        "name": pid,
        "party_member": False,
        "household_id": f"home-{pid}" if community else None,
        "building_id": None,
        "estate_id": None,
        "grid_id": grid if community else None,
        "community_id": community,
        "grid_roles": [
            {"grid_id": grid_id, "community_id": community_id, "role": "building_head"}
            for grid_id, community_id in grid_roles
        ],
        "admin_roles": (
            [{"role": "community_admin", "community_id": admin_of, "street_id": None}]
            if admin_of
            else []
        ),
    }
    return KNOWN[pid]


ADMIN = person("admin", community=None, admin_of=COMMUNITY)
SECOND_ADMIN = person("second-admin", community=None, admin_of=COMMUNITY)
OTHER_ADMIN = person("other-admin", community=None, admin_of=OTHER_COMMUNITY)
LEADER = person("leader")
ALICE, BOB, CAROL, DAVE = person("alice"), person("bob"), person("carol"), person("dave")
PROVIDER, OTHER_PROVIDER = person("provider"), person("other-provider")
STRANGER = person("stranger", OTHER_COMMUNITY, FAR_GRID)


@pytest.fixture
def store(database_url):
    store = Store(database_url, source="volunteer", migrations=MIGRATIONS)
    store.migrate()
    yield store
    store.dispose()


def delivered(source, event_type, data):
    """An event as a consumer receives it: built by its contract, read back."""
    return read_envelope(json.loads(json.dumps(make_envelope(source, event_type, data))))


def register(store, who):
    data = {key: who[key] for key in ("person_id", "name", "household_id", "party_member")}
    data |= {"grid_id": who["grid_id"], "community_id": who["community_id"]}
    run(store, app.open_account_for_person, delivered("grid", "person_registered", data))


def award(store, who, stars, by=ADMIN):
    data = {"person_id": who["person_id"], "stars": stars, "reason": "表彰"}
    return run(store, app.manual_award, by, data, grid_principals)


def balance(store, who):
    """The account's balance and the sum of its entries, which must agree."""
    with store.reading() as session:
        account = ledger.require_account(session, "person", who["person_id"])
        return account.balance, ledger.balance_from_entries(session, account.id)


def published(store, event_type):
    with store.engine.connect() as connection:
        payloads = connection.scalars(
            select(outbox_table.c.payload)
            .where(outbox_table.c.event_type == event_type)
            .order_by(outbox_table.c.seq)
        )
        return [json.loads(payload)["data"] for payload in payloads]


def count(store, model, *where):
    with store.reading() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def make_team(store):
    data = {
        "community_id": COMMUNITY,
        "name": "红马甲",
        "focus": "assistance",
        "leader_id": "leader",
    }
    return run(store, app.create_team, ADMIN, data, grid_principals)


def yesterday_at(hours, minutes=0):
    """A time yesterday, Beijing time, as the apps send it."""
    day = (utcnow().astimezone(BEIJING) - timedelta(days=1)).date()
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=BEIJING).isoformat()


def make_activity(
    store, team, capacity=10, stars_per_hour=5, starts=(9, 0), ends=(11, 0), title="助老服务"
):
    data = {
        "team_id": team["id"],
        "title": title,
        "place": "社区活动室",
        "starts_at": yesterday_at(*starts),
        "ends_at": yesterday_at(*ends),
        "capacity": capacity,
        "stars_per_hour": stars_per_hour,
    }
    return run(store, app.create_activity, LEADER, data, LIMITS)


def race(store, attempts):
    """Run each (use_case, *args) in its own green thread and transaction, all at
    once; returns each outcome (a result or the error raised) and how many
    transactions were open at the same moment at most."""
    open_now, most_open = 0, 0

    def attempt(call):
        nonlocal open_now, most_open
        use_case, *args = call
        try:
            with store.transaction() as tx:
                open_now += 1
                most_open = max(most_open, open_now)
                try:
                    return use_case(tx, *args)
                finally:
                    open_now -= 1
        except (Conflict, Forbidden, NotFound, InvalidInput) as error:
            return error

    outcomes = list(eventlet.GreenPool(len(attempts)).imap(attempt, attempts))
    return outcomes, most_open


# -- 1. redemptions cannot overdraw, however many at once ---------------------------


def test_a_hundred_redemptions_at_once_against_a_balance_for_ten_issue_ten(store):
    register(store, ALICE)
    award(store, ALICE, 100)
    data = {
        "community_id": COMMUNITY,
        "name": "艾灸",
        "provider_id": "provider",
        "price_stars": 10,
        "stock": 1000,
    }
    reward = run(store, app.create_reward, ADMIN, data, grid_principals)

    outcomes, most_open = race(store, [(app.redeem, ALICE, reward["id"])] * 100)

    vouchers = [o for o in outcomes if isinstance(o, dict)]
    refusals = [o for o in outcomes if isinstance(o, Exception)]
    if store.engine.dialect.name == "postgresql":
        assert most_open > 1  # the transactions really overlapped, queued on row locks
    assert len(vouchers) == 10 and len({v["code"] for v in vouchers}) == 10
    assert len(refusals) == 90 and all(isinstance(e, Conflict) for e in refusals)
    assert balance(store, ALICE) == (0, 0)
    with store.reading() as session:
        assert session.get(Reward, reward["id"]).stock == 990
        entries = session.scalars(select(Entry.amount).order_by(Entry.id)).all()
    assert entries == [100] + [-10] * 10
    assert count(store, Voucher) == 10
    assert len(published(store, "stars_redeemed")) == 10
    assert sorted(e["balance"] for e in published(store, "stars_redeemed")) == list(
        range(0, 100, 10)
    )


def test_redemptions_of_different_rewards_at_once_cannot_overdraw_either(store):
    # one reward's stock row queues all its redemptions; over five rewards only
    # the guarded balance update stands between the racers and an overdraft
    register(store, ALICE)
    award(store, ALICE, 100)
    rewards = [
        run(
            store,
            app.create_reward,
            ADMIN,
            {
                "community_id": COMMUNITY,
                "name": f"回馈{n}",
                "provider_id": "provider",
                "price_stars": 10,
                "stock": 1000,
            },
            grid_principals,
        )["id"]
        for n in range(5)
    ]

    outcomes, _ = race(store, [(app.redeem, ALICE, rewards[n % 5]) for n in range(100)])

    assert sum(isinstance(o, dict) for o in outcomes) == 10
    assert sum(isinstance(o, Conflict) for o in outcomes) == 90
    assert balance(store, ALICE) == (0, 0)
    with store.reading() as session:
        stock = session.scalar(select(func.sum(Reward.stock)))
    assert stock == 5 * 1000 - 10


def test_a_redemption_is_refused_without_stars_stock_or_an_account(store):
    register(store, ALICE)
    award(store, ALICE, 15)
    data = {
        "community_id": COMMUNITY,
        "name": "头疗",
        "provider_id": "provider",
        "price_stars": 20,
        "stock": 1,
    }
    dear = run(store, app.create_reward, ADMIN, data, grid_principals)
    cheap = run(
        store, app.create_reward, ADMIN, {**data, "price_stars": 5, "stock": 0}, grid_principals
    )
    refused(store, Conflict, app.redeem, ALICE, dear["id"])  # too few stars
    refused(store, Conflict, app.redeem, ALICE, cheap["id"])  # none left
    refused(store, NotFound, app.redeem, BOB, cheap["id"])  # no account
    refused(store, NotFound, app.redeem, ALICE, "no-such-reward")
    refused(store, Forbidden, app.create_reward, ALICE, data, grid_principals)
    register(store, STRANGER)
    award(store, STRANGER, 50, by=OTHER_ADMIN)
    refused(store, Forbidden, app.redeem, STRANGER, dear["id"])  # another community's
    # a refusal writes nothing: the stock taken before the balance check is put back
    rewards = run(store, app.list_rewards, ALICE, {"community_id": COMMUNITY})
    assert [(r["price_stars"], r["stock"]) for r in rewards] == [(5, 0), (20, 1)]
    assert balance(store, ALICE) == (15, 15)


# -- 2. sign-ups stop at capacity -------------------------------------------------


def test_ten_sign_ups_at_once_for_three_places_get_three(store):
    activity = make_activity(store, make_team(store), capacity=3)
    volunteers = [person(f"volunteer-{n}") for n in range(10)]

    outcomes, most_open = race(store, [(app.sign_up, v, activity["id"]) for v in volunteers])

    taken = [o for o in outcomes if isinstance(o, dict)]
    refusals = [o for o in outcomes if isinstance(o, Exception)]
    if store.engine.dialect.name == "postgresql":
        assert most_open > 1
    assert len(taken) == 3 and all(s["status"] == "signed_up" for s in taken)
    assert len(refusals) == 7 and all(isinstance(e, Conflict) for e in refusals)
    assert run(store, app.get_activity, ADMIN, activity["id"])["signed_up"] == 3
    assert count(store, SignUp) == 3

    # a cancellation frees one place, for one more person
    winners = {s["person_id"] for s in taken}
    losers = [v for v in volunteers if v["person_id"] not in winners]
    leaving = next(v for v in volunteers if v["person_id"] in winners)
    assert run(store, app.cancel_sign_up, leaving, activity["id"])["status"] == "cancelled"
    refused(store, NotFound, app.cancel_sign_up, leaving, activity["id"])
    assert run(store, app.sign_up, losers[0], activity["id"])["status"] == "signed_up"
    refused(store, Conflict, app.sign_up, losers[1], activity["id"])
    refused(store, Conflict, app.sign_up, leaving, activity["id"])  # the place is gone
    assert run(store, app.get_activity, ADMIN, activity["id"])["signed_up"] == 3


def test_sign_ups_are_for_the_activitys_community_and_once_a_person(store):
    activity = make_activity(store, make_team(store), capacity=5)
    refused(store, Forbidden, app.sign_up, STRANGER, activity["id"])
    refused(store, Forbidden, app.sign_up, OTHER_ADMIN, activity["id"])
    refused(store, NotFound, app.sign_up, ALICE, "no-such-activity")
    run(store, app.sign_up, ALICE, activity["id"])
    refused(store, Conflict, app.sign_up, ALICE, activity["id"])
    # signing up opens the volunteer's red-star account, placed where they live
    with store.reading() as session:
        account = ledger.require_account(session, "person", "alice")
        assert (account.community_id, account.grid_id, account.balance) == (COMMUNITY, GRID, 0)
    # cancel and come back: one sign-up row, one place
    run(store, app.cancel_sign_up, ALICE, activity["id"])
    assert run(store, app.sign_up, ALICE, activity["id"])["status"] == "signed_up"
    assert run(store, app.get_activity, ALICE, activity["id"])["signed_up"] == 1
    assert count(store, SignUp) == 1


# -- 3. service hours are bounded by the activity ------------------------------------


def test_the_leader_records_times_and_hours_are_cut_to_the_activity(store):
    activity = make_activity(store, make_team(store))  # 09:00–11:00 yesterday
    for who in (ALICE, BOB):
        run(store, app.sign_up, who, activity["id"])
    alice_in = {"person_id": "alice", "at": yesterday_at(9, 30)}

    # a volunteer records neither someone else's time nor a past time of their own
    refused(store, Forbidden, app.check_in, BOB, activity["id"], alice_in)
    refused(store, Forbidden, app.check_in, ALICE, activity["id"], {"at": yesterday_at(9, 30)})
    refused(store, Forbidden, app.check_in, STRANGER, activity["id"], alice_in)
    carol_in = {"person_id": "carol", "at": yesterday_at(9, 30)}
    refused(store, NotFound, app.check_in, LEADER, activity["id"], carol_in)
    refused(store, Conflict, app.check_out, LEADER, activity["id"], alice_in)

    checked_in = run(store, app.check_in, LEADER, activity["id"], alice_in)
    assert datetime.fromisoformat(checked_in["checked_in_at"]) == datetime.fromisoformat(
        yesterday_at(9, 30)
    )
    refused(store, Conflict, app.check_in, LEADER, activity["id"], alice_in)
    refused(store, Conflict, app.cancel_sign_up, ALICE, activity["id"])  # checked in by now

    error = refused(
        store,
        InvalidInput,
        app.check_out,
        LEADER,
        activity["id"],
        {"person_id": "alice", "at": yesterday_at(9, 15)},
    )
    assert error.fields == {"at": ["after the check-in"]}
    future = (utcnow() + timedelta(hours=1)).isoformat()
    refused(
        store,
        InvalidInput,
        app.check_out,
        LEADER,
        activity["id"],
        {"person_id": "alice", "at": future},
    )
    out = {"person_id": "alice", "at": yesterday_at(11, 0)}
    refused(store, Forbidden, app.check_out, BOB, activity["id"], out)
    checked_out = run(store, app.check_out, LEADER, activity["id"], out)
    assert checked_out["minutes"] == 90
    refused(store, Conflict, app.check_out, LEADER, activity["id"], out)

    # a volunteer checks themselves in and out now; now is long after it ended
    run(store, app.check_in, BOB, activity["id"], {})
    assert run(store, app.check_out, BOB, activity["id"], {"person_id": "bob"})["minutes"] == 0


# -- 4. completion pays once ---------------------------------------------------------


def test_completing_an_activity_pays_the_hours_once_and_tells_the_suite(store):
    activity = make_activity(store, make_team(store), stars_per_hour=5)
    times = {"alice": ((9, 0), (11, 0)), "bob": ((9, 15), (10, 5)), "carol": ((9, 0), None)}
    for who in (ALICE, BOB, CAROL, DAVE):
        run(store, app.sign_up, who, activity["id"])
    for pid, (came, left) in times.items():
        run(
            store,
            app.check_in,
            LEADER,
            activity["id"],
            {"person_id": pid, "at": yesterday_at(*came)},
        )
        if left:
            data = {"person_id": pid, "at": yesterday_at(*left)}
            run(store, app.check_out, LEADER, activity["id"], data)

    for outsider in (ALICE, OTHER_ADMIN, STRANGER):
        refused(store, Forbidden, app.complete_activity, outsider, activity["id"], LIMITS)
    assert published(store, "activity_completed") == []

    done = run(store, app.complete_activity, LEADER, activity["id"], LIMITS)
    # alice 120 minutes → 10; bob 50 → 4; carol never checked out, dave never came
    assert done["awarded"] == {"alice": 10, "bob": 4}
    assert done["activity"]["status"] == "completed"
    assert published(store, "activity_completed") == [
        {
            "activity_id": activity["id"],
            "team_id": activity["team_id"],
            "community_id": COMMUNITY,
            "volunteers": 2,
            "minutes": 170,
            "stars": 14,
            "approved_by": None,  # 14 stars are the leader's to pay alone
        }
    ]
    awarded = published(store, "stars_awarded")
    assert sorted((e["owner_id"], e["stars"], e["balance"]) for e in awarded) == [
        ("alice", 10, 10),
        ("bob", 4, 4),
    ]
    assert {e["source"] for e in awarded} == {f"activity:{activity['id']}"}

    refused(store, Conflict, app.complete_activity, LEADER, activity["id"], LIMITS)
    refused(store, Conflict, app.complete_activity, ADMIN, activity["id"], LIMITS)
    refused(store, Conflict, app.check_out, LEADER, activity["id"], {"person_id": "carol"})
    refused(store, Conflict, app.sign_up, person("late"), activity["id"])
    assert balance(store, ALICE) == (10, 10) and balance(store, BOB) == (4, 4)
    assert len(published(store, "stars_awarded")) == 2
    assert len(published(store, "activity_completed")) == 1
    assert count(store, Entry) == 2


def test_a_community_admin_completes_too_and_two_at_once_pay_once(store):
    team = make_team(store)
    quiet = make_activity(store, team)
    assert run(store, app.complete_activity, ADMIN, quiet["id"], LIMITS)["awarded"] == {}
    assert published(store, "activity_completed")[0]["volunteers"] == 0

    activity = make_activity(store, team, stars_per_hour=6)
    run(store, app.sign_up, ALICE, activity["id"])
    for action, hour in ((app.check_in, 9), (app.check_out, 10)):
        run(store, action, LEADER, activity["id"], {"person_id": "alice", "at": yesterday_at(hour)})
    outcomes, _ = race(
        store, [(app.complete_activity, who, activity["id"], LIMITS) for who in (LEADER, ADMIN)]
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "dict"]
    assert balance(store, ALICE) == (6, 6)
    assert len(published(store, "activity_completed")) == 2


# -- 4b. stars are bounded, not minted ------------------------------------------------
# A team's leader may be an ordinary resident. Probing found one minting 876,000 stars:
# a year-long activity at 100 stars an hour, check-ins back-dated a year, and a
# completion nobody else looked at.


def later(iso_time, **delta):
    return (datetime.fromisoformat(iso_time) + timedelta(**delta)).isoformat()


def test_an_activity_beyond_the_configured_limits_is_refused_naming_the_field(store):
    team = make_team(store)
    year = {
        "team_id": team["id"],
        "title": "全年服务",
        "place": "社区活动室",
        "starts_at": yesterday_at(8),
        "ends_at": later(yesterday_at(8), days=365),
        "capacity": 10,
        "stars_per_hour": 100,
    }
    error = refused(store, InvalidInput, app.create_activity, LEADER, year, LIMITS)
    assert error.fields == {
        "ends_at": ["at most 12 hours after starts_at"],
        "stars_per_hour": ["at most 10"],
    }
    a_day = {**year, "ends_at": later(yesterday_at(8), hours=12), "stars_per_hour": 10}
    a_year_ago, a_week_ago = later(yesterday_at(8), days=-365), later(yesterday_at(8), days=-7)
    for field, change in (
        ("ends_at", {"ends_at": later(yesterday_at(8), hours=12, minutes=1)}),
        ("stars_per_hour", {"stars_per_hour": 11}),
        # planned long after it started: what a leader back-dating a year would do
        ("starts_at", {"starts_at": a_year_ago, "ends_at": later(a_year_ago, hours=2)}),
        ("starts_at", {"starts_at": a_week_ago, "ends_at": later(a_week_ago, hours=2)}),
    ):
        error = refused(store, InvalidInput, app.create_activity, LEADER, a_day | change, LIMITS)
        assert set(error.fields) == {field}, change
    assert count(store, Activity) == 0

    # at the limits: twelve hours at ten stars an hour, six days back
    assert run(store, app.create_activity, LEADER, a_day, LIMITS)["stars_per_hour"] == 10
    six_days_back = {
        **a_day,
        "starts_at": later(yesterday_at(8), days=-5),
        "ends_at": later(yesterday_at(8), days=-5, hours=2),
    }
    run(store, app.create_activity, LEADER, six_days_back, LIMITS)
    # the limits are the service's settings
    strict = domain.ActivityLimits(max_hours=2, max_stars_per_hour=5)
    error = refused(store, InvalidInput, app.create_activity, ADMIN, a_day, strict)
    assert set(error.fields) == {"ends_at", "stars_per_hour"}
    assert count(store, Activity) == 2


def test_a_leader_records_times_only_within_the_activity_and_not_ahead_of_now(store):
    activity = make_activity(store, make_team(store))  # 09:00–11:00 yesterday
    for who in (ALICE, LEADER):
        run(store, app.sign_up, who, activity["id"])
    a_year_back = later(yesterday_at(9), days=-365)
    future = (utcnow() + timedelta(minutes=30)).isoformat()
    for at, message in (
        (a_year_back, "not before starts_at"),
        (yesterday_at(8, 59), "not before starts_at"),
        (yesterday_at(11, 1), "not after ends_at"),
        (future, "not in the future"),
    ):
        for who in ("alice", "leader"):  # someone else's time, or the leader's own
            data = {"person_id": who, "at": at}
            error = refused(store, InvalidInput, app.check_in, LEADER, activity["id"], data)
            assert error.fields == {"at": [message]}, (who, at)
    # recording someone without a time records now: long after this activity ended
    error = refused(
        store, InvalidInput, app.check_in, LEADER, activity["id"], {"person_id": "alice"}
    )
    assert error.fields == {"at": ["not after ends_at"]}

    run(store, app.check_in, LEADER, activity["id"], {"person_id": "alice", "at": yesterday_at(9)})
    for at in (yesterday_at(12), future):
        data = {"person_id": "alice", "at": at}
        refused(store, InvalidInput, app.check_out, LEADER, activity["id"], data)
    with store.reading() as session:
        signup = session.scalar(select(SignUp).where(SignUp.person_id == "alice"))
        assert signup.checked_in_at == datetime.fromisoformat(yesterday_at(9))
        assert signup.checked_out_at is None
        leader = session.scalar(select(SignUp).where(SignUp.person_id == "leader"))
        assert leader.checked_in_at is None  # nothing of the refused times was kept


def a_big_day(store, crew, by=LEADER):
    """Ten hours at ten stars an hour for each of the crew: 100 stars each, completed."""
    activity = make_activity(
        store, make_team(store), stars_per_hour=10, starts=(8, 0), ends=(18, 0)
    )
    for who in crew:
        run(store, app.sign_up, who, activity["id"])
        for action, hour in ((app.check_in, 8), (app.check_out, 18)):
            data = {"person_id": who["person_id"], "at": yesterday_at(hour)}
            run(store, action, LEADER, activity["id"], data)
    return activity, run(store, app.complete_activity, by, activity["id"], LIMITS)


def test_a_large_completion_waits_for_a_second_person_who_pays_it_once(store):
    activity, done = a_big_day(store, (ALICE, BOB, CAROL, DAVE))  # 400 stars, above 300

    assert done["awarded"] == {}
    waiting = done["activity"]
    assert waiting["status"] == "awaiting_approval"
    assert (waiting["stars_due"], waiting["completed_by"], waiting["decided_by"]) == (
        400,
        "leader",
        None,
    )
    assert count(store, Entry) == 0
    assert published(store, "stars_awarded") == published(store, "activity_completed") == []
    # waiting is not open: no second completion, no more sign-ups or times
    for who in (LEADER, ADMIN):
        refused(store, Conflict, app.complete_activity, who, activity["id"], LIMITS)
    refused(store, Conflict, app.sign_up, person("late"), activity["id"])
    refused(store, Conflict, app.check_in, ALICE, activity["id"], {})
    # the leader, a volunteer and another community's admin decide nothing
    for who in (LEADER, ALICE, OTHER_ADMIN):
        for decision in ("approve", "reject"):
            refused(store, Forbidden, app.decide_completion, who, activity["id"], decision, {})
    assert run(store, app.get_activity, ALICE, activity["id"])["status"] == "awaiting_approval"

    # two community admins approve at once: one pays, once
    outcomes, _ = race(
        store,
        [
            (app.decide_completion, who, activity["id"], "approve", {"comment": "核实无误"})
            for who in (ADMIN, SECOND_ADMIN)
        ],
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "dict"]
    approved = next(o for o in outcomes if isinstance(o, dict))
    assert approved["awarded"] == {"alice": 100, "bob": 100, "carol": 100, "dave": 100}
    decided_by = approved["activity"]["decided_by"]
    assert decided_by in ("admin", "second-admin")
    assert approved["activity"]["status"] == "completed"
    assert approved["activity"]["decision_comment"] == "核实无误"
    for who in (ADMIN, SECOND_ADMIN):
        for decision in ("approve", "reject"):
            refused(store, Conflict, app.decide_completion, who, activity["id"], decision, {})
    for who in (ALICE, BOB, CAROL, DAVE):
        assert balance(store, who) == (100, 100)
    assert count(store, Entry) == 4
    assert published(store, "activity_completed") == [
        {
            "activity_id": activity["id"],
            "team_id": activity["team_id"],
            "community_id": COMMUNITY,
            "volunteers": 4,
            "minutes": 2400,
            "stars": 400,
            "approved_by": decided_by,
        }
    ]


def test_an_admin_who_completed_may_not_approve_and_a_rejection_pays_nothing(store):
    activity, done = a_big_day(store, (ALICE, BOB, CAROL, DAVE), by=ADMIN)
    assert done["activity"]["status"] == "awaiting_approval"
    assert done["activity"]["completed_by"] == "admin"
    for decision in ("approve", "reject"):
        error = refused(
            store, Forbidden, app.decide_completion, ADMIN, activity["id"], decision, {}
        )
        assert "another community admin" in error.message

    rejected = run(
        store,
        app.decide_completion,
        SECOND_ADMIN,
        activity["id"],
        "reject",
        {"comment": "时长不实"},
    )
    assert rejected["awarded"] == {}
    assert rejected["activity"]["status"] == "rejected"
    assert rejected["activity"]["decided_by"] == "second-admin"
    assert rejected["activity"]["decision_comment"] == "时长不实"
    for decision in ("approve", "reject"):
        refused(store, Conflict, app.decide_completion, SECOND_ADMIN, activity["id"], decision, {})
    refused(store, Conflict, app.complete_activity, LEADER, activity["id"], LIMITS)
    assert count(store, Entry) == 0 and published(store, "activity_completed") == []
    listed = run(
        store, app.list_activities, ALICE, {"community_id": COMMUNITY, "status": "rejected"}
    )
    assert [a["id"] for a in listed["items"]] == [activity["id"]]

    # an open activity has nothing waiting; a small one the leader pays alone
    small = make_activity(store, make_team_named(store, "小分队"))
    refused(store, Conflict, app.decide_completion, SECOND_ADMIN, small["id"], "approve", {})
    assert run(store, app.complete_activity, LEADER, small["id"], LIMITS)["activity"]["status"] == (
        "completed"
    )


def test_parallel_activities_count_a_volunteers_time_once(store):
    team = make_team(store)
    morning = make_activity(store, team, starts=(9, 0), ends=(11, 0), title="助老")
    overlapping = make_activity(store, team, starts=(10, 0), ends=(12, 0), title="巡逻")
    afterwards = make_activity(store, team, starts=(11, 0), ends=(13, 0), title="义诊")
    for activity in (morning, overlapping, afterwards):
        run(store, app.sign_up, ALICE, activity["id"])

    def record(activity, came, left):
        run(store, app.check_in, LEADER, activity["id"], {"person_id": "alice", "at": came})
        data = {"person_id": "alice", "at": left}
        return run(store, app.check_out, LEADER, activity["id"], data)

    assert record(morning, yesterday_at(9), yesterday_at(11))["minutes"] == 120
    run(
        store,
        app.check_in,
        LEADER,
        overlapping["id"],
        {"person_id": "alice", "at": yesterday_at(10)},
    )
    error = refused(
        store,
        Conflict,
        app.check_out,
        LEADER,
        overlapping["id"],
        {"person_id": "alice", "at": yesterday_at(12)},
    )
    assert set(error.fields) == {"at"}
    # one activity ending as the next starts is no overlap
    assert record(afterwards, yesterday_at(11), yesterday_at(13))["minutes"] == 120
    # no time counted, nothing overlapping: leaving as she came
    data = {"person_id": "alice", "at": yesterday_at(10)}
    assert run(store, app.check_out, LEADER, overlapping["id"], data)["minutes"] == 0
    for activity in (morning, overlapping, afterwards):
        run(store, app.complete_activity, LEADER, activity["id"], LIMITS)
    assert balance(store, ALICE) == (20, 20)  # four hours at five stars, not five


# -- 4c. the people named are grid's, and the community's -----------------------------


def make_team_named(store, name, leader="leader"):
    data = {"community_id": COMMUNITY, "name": name, "focus": "patrol", "leader_id": leader}
    return run(store, app.create_team, ADMIN, data, grid_principals)


def members(store, team):
    with store.reading() as session:
        return sorted(
            session.scalars(select(TeamMember.person_id).where(TeamMember.team_id == team["id"]))
        )


def test_team_members_are_real_people_of_the_teams_community(store):
    team = make_team(store)
    for pid, error, message in (
        ("no-such-person", NotFound, "no such person"),
        ("stranger", InvalidInput, "not one of this community's people"),
        ("other-admin", InvalidInput, "not one of this community's people"),
    ):
        data = {"person_id": pid}
        refusal = refused(store, error, app.add_member, LEADER, team["id"], data, grid_principals)
        assert refusal.fields == {"person_id": [message]}
    assert members(store, team) == ["leader"]  # nothing added

    # who may not change the team learns nothing about who exists
    ghost = {"person_id": "no-such-person"}
    refused(store, Forbidden, app.add_member, STRANGER, team["id"], ghost, grid_principals)
    # the community's own people: its residents, and those holding a role in it who live
    # elsewhere (a building head from the next community)
    helper = person("helper", OTHER_COMMUNITY, FAR_GRID, grid_roles=[(GRID, COMMUNITY)])
    for who in (ALICE, helper, SECOND_ADMIN):
        data = {"person_id": who["person_id"]}
        run(store, app.add_member, LEADER, team["id"], data, grid_principals)
    assert members(store, team) == ["alice", "helper", "leader", "second-admin"]


def test_every_person_named_to_volunteering_is_one_of_the_communitys_people(store):
    # a team's leader
    for leader, error in (("no-such-person", NotFound), ("stranger", InvalidInput)):
        team = {"community_id": COMMUNITY, "name": "红马甲", "focus": "patrol", "leader_id": leader}
        refusal = refused(store, error, app.create_team, ADMIN, team, grid_principals)
        assert set(refusal.fields) == {"leader_id"}
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(Team)) == 0
    # a reward's provider
    reward = {
        "community_id": COMMUNITY,
        "name": "艾灸",
        "provider_id": "provider",
        "price_stars": 10,
        "stock": 1,
    }
    person("far-provider", OTHER_COMMUNITY, FAR_GRID)
    for provider, error in (("no-such-person", NotFound), ("far-provider", InvalidInput)):
        data = reward | {"provider_id": provider}
        refusal = refused(store, error, app.create_reward, ADMIN, data, grid_principals)
        assert set(refusal.fields) == {"provider_id"}
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(Reward)) == 0

    # an award's recipient, as grid knows them now: someone who moved away since
    # registering is no longer the community's, someone with a role in it is
    register(store, person("mover"))
    person("mover", OTHER_COMMUNITY, FAR_GRID)
    helper = person("helper", OTHER_COMMUNITY, FAR_GRID, grid_roles=[(GRID, COMMUNITY)])
    register(store, helper)
    moved = {"person_id": "mover", "stars": 5, "reason": "表彰"}
    refused(store, Forbidden, app.manual_award, ADMIN, moved, grid_principals)
    refused(
        store, NotFound, app.manual_award, ADMIN, moved | {"person_id": "nobody"}, grid_principals
    )
    award(store, helper, 5)
    assert balance(store, helper) == (5, 5)
    assert count(store, Entry) == 1

    # a sign-up: by one of the community's people in the same sense
    activity = make_activity(store, make_team(store))
    refused(store, Forbidden, app.sign_up, STRANGER, activity["id"])
    assert run(store, app.sign_up, helper, activity["id"])["status"] == "signed_up"


# -- 5. the ledger -----------------------------------------------------------------


def closed_appeal(appeal_id, handler_id, rating):
    data = {
        "appeal_id": appeal_id,
        "number": f"2026-{appeal_id.split('-')[-1]:0>6}",
        "community_id": COMMUNITY,
        "grid_id": GRID,
        "category": "daily",
        "status": "closed",
        "level": "grid",
        "handler_id": handler_id,
        "rating": rating,
    }
    return delivered("appeals", "appeal_closed", data)


def test_a_closed_appeal_pays_its_handler_once_by_its_rating(store):
    runs = [
        ("appeal-1", "worker", 4),
        ("appeal-1", "worker", 4),  # the same appeal again, in another event: pays nothing
        ("appeal-2", "worker", 5),
        ("appeal-3", "worker", 2),
        ("appeal-4", "worker", 1),
        ("appeal-5", None, 5),  # resolved by a project: nobody to pay
    ]
    for appeal_id, handler, rating in runs:
        run(store, app.award_for_closed_appeal, closed_appeal(appeal_id, handler, rating), RULES)
    worker = person("worker")
    assert balance(store, worker) == (25, 25)  # 10, then 10 + 5 for a five
    with store.reading() as session:
        sources = session.scalars(select(Entry.source).order_by(Entry.id)).all()
        account = ledger.require_account(session, "person", "worker")
        assert account.community_id == COMMUNITY
    assert sources == ["appeal:appeal-1", "appeal:appeal-2"]
    assert count(store, Account) == 1
    assert [(e["owner_id"], e["stars"]) for e in published(store, "stars_awarded")] == [
        ("worker", 10),
        ("worker", 15),
    ]


def visit(n, visited_at):
    data = {
        "visit_id": f"visit-{n}",
        "visitor_id": "worker",
        "household_id": f"home-{n}",
        "grid_id": GRID,
        "visited_at": visited_at.isoformat(),
    }
    return delivered("grid", "visit_logged", data)


def test_visits_pay_up_to_the_cap_of_a_beijing_day(store):
    register(store, person("worker"))
    # 2026-03-10 in Beijing runs from 16:00 UTC on the 9th to 16:00 UTC on the 10th
    same_day = [
        datetime(2026, 3, 9, 16, 5, tzinfo=UTC),  # 00:05 in Beijing
        datetime(2026, 3, 10, 9, 0, tzinfo=BEIJING),
        datetime(2026, 3, 10, 10, 0, tzinfo=BEIJING),
        datetime(2026, 3, 10, 14, 0, tzinfo=BEIJING),
        datetime(2026, 3, 10, 18, 0, tzinfo=BEIJING),
        datetime(2026, 3, 10, 15, 55, tzinfo=UTC),  # 23:55 in Beijing: the sixth, unpaid
    ]
    paid = [run(store, app.award_for_visit, visit(n, t), RULES) for n, t in enumerate(same_day)]
    assert [entry is not None for entry in paid] == [True] * 5 + [False]
    assert balance(store, person("worker")) == (10, 10)

    next_day = datetime(2026, 3, 10, 16, 5, tzinfo=UTC)  # 00:05 on the 11th in Beijing
    assert run(store, app.award_for_visit, visit(6, next_day), RULES) is not None
    assert balance(store, person("worker")) == (12, 12)
    assert len(published(store, "stars_awarded")) == 6


def test_the_database_refuses_to_rewrite_or_delete_ledger_entries(store):
    register(store, ALICE)
    award(store, ALICE, 30)
    award(store, ALICE, 12)

    def snapshot():
        with store.engine.connect() as connection:
            return connection.execute(text("SELECT * FROM entries ORDER BY id")).all()

    before = snapshot()
    for statement in (
        "UPDATE entries SET amount = amount * 100",
        "UPDATE entries SET reason = 'rewritten' WHERE amount = 12",
        "DELETE FROM entries",
        "DELETE FROM entries WHERE amount = 30",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            with store.engine.begin() as connection:
                connection.execute(text(statement))
    assert snapshot() == before and len(before) == 2
    assert balance(store, ALICE) == (42, 42)


def test_a_cancelled_voucher_gives_back_stars_and_stock_and_a_used_one_stays_used(store):
    register(store, ALICE)
    award(store, ALICE, 50)
    data = {
        "community_id": COMMUNITY,
        "name": "理疗",
        "provider_id": "provider",
        "price_stars": 20,
        "stock": 2,
    }
    reward = run(store, app.create_reward, ADMIN, data, grid_principals)
    first = run(store, app.redeem, ALICE, reward["id"])
    second = run(store, app.redeem, ALICE, reward["id"])
    assert balance(store, ALICE) == (10, 10)
    refused(store, Conflict, app.redeem, ALICE, reward["id"])

    # cancelled: the stars come back as a reversal entry, the place in stock too
    refused(store, Forbidden, app.cancel_voucher, BOB, first["id"])
    cancelled = run(store, app.cancel_voucher, ALICE, first["id"])
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    assert balance(store, ALICE) == (30, 30)
    with store.reading() as session:
        assert session.get(Reward, reward["id"]).stock == 1
        last = session.execute(
            select(Entry.kind, Entry.amount, Entry.source).order_by(Entry.id.desc())
        ).first()
    assert tuple(last) == ("reversal", 20, f"voucher-cancel:{first['id']}")
    refused(store, Conflict, app.use_voucher, PROVIDER, first["code"])
    refused(store, Conflict, app.cancel_voucher, ALICE, first["id"])

    # used: only by the reward's provider, and then it cannot be cancelled
    for outsider in (ALICE, OTHER_PROVIDER, ADMIN):
        refused(store, Forbidden, app.use_voucher, outsider, second["code"])
    refused(store, NotFound, app.use_voucher, PROVIDER, "NOSUCHCODE")
    used = run(store, app.use_voucher, PROVIDER, second["code"])
    assert used["status"] == "used" and used["used_at"]
    refused(store, Conflict, app.use_voucher, PROVIDER, second["code"])
    refused(store, Conflict, app.cancel_voucher, ALICE, second["id"])

    assert balance(store, ALICE) == (30, 30)
    with store.reading() as session:
        assert session.get(Reward, reward["id"]).stock == 1
    assert {v["id"]: v["status"] for v in run(store, app.my_vouchers, ALICE)["items"]} == {
        first["id"]: "cancelled",
        second["id"]: "used",
    }
    assert run(store, app.my_vouchers, BOB) == {"items": [], "next_cursor": None}


def test_stars_are_seen_by_their_owner_and_community_staff_and_awarded_by_its_admin(store):
    register(store, ALICE)
    five = {"person_id": "alice", "stars": 5, "reason": "r"}
    for error, by, data in (
        (Forbidden, OTHER_ADMIN, five),
        (Forbidden, ALICE, five),
        (InvalidInput, ADMIN, {**five, "stars": 0}),
        (NotFound, ADMIN, {**five, "person_id": "nobody"}),
    ):
        refused(store, error, app.manual_award, by, data, grid_principals)
    award(store, ALICE, 5)
    assert run(store, app.stars, ALICE, "alice")["balance"] == 5
    seen = run(store, app.stars, ADMIN, "alice")
    assert seen["balance"] == 5 and seen["entries"][0]["reason"] == "表彰 (by admin)"
    refused(store, Forbidden, app.stars, BOB, "alice")
    refused(store, Forbidden, app.stars, OTHER_ADMIN, "alice")


# -- 6. leaderboards ---------------------------------------------------------------


def test_leaderboards_rank_stars_earned_by_place_and_period(store):
    frank = person("frank", grid=OTHER_GRID)
    erin = person("erin", OTHER_COMMUNITY, FAR_GRID)
    for who in (ALICE, BOB, CAROL, DAVE, frank, erin):
        register(store, who)
    for who, stars in ((ALICE, 30), (BOB, 20), (CAROL, 20), (frank, 25), (erin, 99)):
        award(store, who, stars, by=OTHER_ADMIN if who is erin else ADMIN)
    run(store, app.award_for_closed_appeal, closed_appeal("appeal-1", "bob", 5), RULES)  # +15
    # spending does not lower what was earned
    data = {
        "community_id": COMMUNITY,
        "name": "场地",
        "provider_id": "provider",
        "price_stars": 25,
        "stock": 5,
    }
    reward = run(store, app.create_reward, ADMIN, data, grid_principals)
    voucher = run(store, app.redeem, ALICE, reward["id"])
    run(store, app.cancel_voucher, ALICE, voucher["id"])
    run(store, app.redeem, ALICE, reward["id"])

    # long-ago stars, written as they were then (entries are never moved in time)
    now = utcnow()
    with store.transaction() as tx:
        for who, stars, year in ((DAVE, 500, now.year - 1), (CAROL, 40, now.year - 2)):
            account = ledger.require_account(tx.session, "person", who["person_id"])
            when = datetime(year, 6, 1, 8, 0, tzinfo=UTC)
            tx.session.add(
                Entry(
                    account_id=account.id,
                    kind="earn",
                    amount=stars,
                    source=f"old:{year}",
                    created_at=when,
                )
            )
            tx.session.execute(
                update(Account)
                .where(Account.id == account.id)
                .values(balance=Account.balance + stars)
            )
    assert balance(store, DAVE) == (500, 500) and balance(store, CAROL) == (60, 60)

    def board(reader=ALICE, **query):
        leaders = run(store, app.leaderboard, reader, query)["leaders"]
        assert [row["rank"] for row in leaders] == list(range(1, len(leaders) + 1))
        assert all(type(row["stars"]) is int for row in leaders)  # PostgreSQL sums to Decimal
        return [(row["owner_id"], row["stars"]) for row in leaders]

    this_period = [("bob", 35), ("alice", 30), ("frank", 25), ("carol", 20)]
    assert board(community_id=COMMUNITY) == this_period  # the month by default
    assert board(community_id=COMMUNITY, period="month") == this_period
    assert board(community_id=COMMUNITY, period="year") == this_period
    assert board(community_id=COMMUNITY, period="all") == [
        ("dave", 500),
        ("carol", 60),
        ("bob", 35),
        ("alice", 30),
        ("frank", 25),
    ]
    assert board(grid_id=GRID, period="month") == [("bob", 35), ("alice", 30), ("carol", 20)]
    assert board(grid_id=OTHER_GRID, period="all") == [("frank", 25)]
    assert board(erin, community_id=OTHER_COMMUNITY) == [("erin", 99)]
    # a community's board is for its own people
    refused(store, Forbidden, app.leaderboard, ALICE, {"community_id": OTHER_COMMUNITY})
    refused(store, Forbidden, app.leaderboard, erin, {"grid_id": GRID})
    assert board(community_id=COMMUNITY, grid_id=OTHER_GRID, period="all") == [("frank", 25)]
    assert board(community_id=COMMUNITY, period="all", limit=2) == [("dave", 500), ("carol", 60)]
    # ties go by name
    award(store, CAROL, 10)
    assert board(community_id=COMMUNITY)[:3] == [("bob", 35), ("alice", 30), ("carol", 30)]

    def since(period):
        query = {"community_id": COMMUNITY, "period": period}
        return run(store, app.leaderboard, ALICE, query)["since"]

    assert datetime.fromisoformat(since("month")) >= datetime.fromisoformat(since("year"))
    assert datetime.fromisoformat(since("year")) <= now and since("all") is None
    refused(store, InvalidInput, app.leaderboard, ALICE, {})
    refused(store, InvalidInput, app.leaderboard, ALICE, {"community_id": COMMUNITY, "period": "w"})
