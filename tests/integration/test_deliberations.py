"""Votes (有事来商量) and project proposals through the service layer, on SQLite and
PostgreSQL; and the closing timer running in two replicas over real RabbitMQ.

Principals and places are written out as grid would give them, so each rule is
checked without the bus; the gateway tests cover the wiring."""

import json
from datetime import timedelta

import eventlet
import pytest
from conftest import APPEALS_TEST_CONFIG
from sqlalchemy import func, select, update
from usecases import refused, run
from waiting import wait_until

from appeals import app, deliberations, projects
from appeals.models import Appeal, Deliberation, TimelineEntry
from appeals.service import MIGRATIONS, AppealsService
from yzw_kernel.db import Store
from yzw_kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from yzw_kernel.outbox import outbox_table
from yzw_kernel.types import utcnow

SETTINGS = {"deadlines": APPEALS_TEST_CONFIG["DEADLINES"], "quorum_share": 0.5}
STREET = "street-1"


def person(pid, home=None, grid="grid-1", building="building-1", estate="estate-1", **extra):
    """A principal as grid gives it; `home` places them in a household of `building`."""
    community = extra.pop("community", "community-1")
    return {
        "person_id": pid,
        "name": pid,
        "household_id": home,
        "building_id": building if home else None,
        "estate_id": estate if home else None,
        "grid_id": grid if home else None,
        "community_id": community if home else None,
        "grid_roles": [
            {"grid_id": g, "community_id": community, "role": r}
            for g, r in extra.pop("grid_roles", ())
        ],
        "admin_roles": [
            dict(zip(("role", "community_id", "street_id"), a, strict=True))
            for a in extra.pop("admin_roles", ())
        ],
        **extra,
    }


# Building 1 and building 2 are in grid 1; building 3 is in grid 2, same estate.
ALICE = person("alice", "home-1")
BOB = person("bob", "home-2")
CAROL = person("carol", "home-3", building="building-2")
DAVE = person("dave", "home-4", grid="grid-2", building="building-3")
WORKER = person("worker", "home-5", grid_roles=[("grid-1", "grid_worker")])
ADMIN = person("admin", admin_roles=[("community_admin", "community-1", None)])
STREET_ADMIN = person("street-admin", admin_roles=[("street_admin", None, STREET)])
# Community 2 has its own grid, resident and admin.
ERIN = person(
    "erin",
    "home-9",
    grid="grid-9",
    building="building-9",
    estate="estate-9",
    community="community-2",
)
ADMIN_2 = person("admin-2", admin_roles=[("community_admin", "community-2", None)])
GRID_1 = ["alice", "bob", "carol", "worker"]


def place(household, grid="grid-1", community="community-1"):
    return {
        "household": {"id": household, "building": {"id": "building-1"}},
        "grid": {"id": grid, "name": grid, "community_id": community, "street_id": STREET},
        "grid_staff": [],
    }


@pytest.fixture
def store(database_url):
    store = Store(database_url, source="appeals", migrations=MIGRATIONS)
    store.migrate()
    yield store
    store.dispose()


def raise_appeal(store, who=ALICE, **where):
    data = {
        "category": "parking",
        "title": "小区停车难",
        "description": "晚上车位不够，消防通道被占",
        "household_id": who["household_id"],
    }
    return run(store, app.submit, who, place(who["household_id"], **where), data, SETTINGS)


def vote_on(question="东门空地改成停车位还是健身区？", options=("停车位", "健身区"), **extra):
    return {
        "question": question,
        "options": list(options),
        "scope": "grid",
        "scope_id": "grid-1",
        "closes_at": (utcnow() + timedelta(days=3)).isoformat(),
        **extra,
    }


def in_scope(residents=GRID_1, scope="grid", scope_id="grid-1", community="community-1"):
    """Grid's answer about a scope: the community it lies in and who lives there."""
    return {
        "scope": scope,
        "scope_id": scope_id,
        "community_id": community,
        "residents": list(residents),
    }


def open_vote(store, appeal, residents=GRID_1, who=WORKER, **extra):
    data = vote_on(**extra)
    return run(
        store,
        deliberations.open_deliberation,
        who,
        appeal["id"],
        data,
        in_scope(residents, data["scope"], data["scope_id"]),
        SETTINGS,
    )


def events(store, event_type):
    with store.engine.connect() as connection:
        payloads = connection.scalars(
            select(outbox_table.c.payload)
            .where(outbox_table.c.event_type == event_type)
            .order_by(outbox_table.c.seq)
        ).all()
    return [json.loads(p)["data"] for p in payloads]


def timeline(store, appeal_id, action):
    with store.reading() as session:
        return session.scalars(
            select(TimelineEntry.note).where(
                TimelineEntry.appeal_id == appeal_id, TimelineEntry.action == action
            )
        ).all()


# -- opening ---------------------------------------------------------------------


def test_staff_of_the_appeals_level_open_a_vote_with_distinct_options_closing_later(store):
    appeal = raise_appeal(store)
    refused(
        store,
        Forbidden,
        deliberations.open_deliberation,
        ALICE,
        appeal["id"],
        vote_on(),
        in_scope(),
        SETTINGS,
    )
    refused(
        store,
        NotFound,
        deliberations.open_deliberation,
        ADMIN_2,
        appeal["id"],
        vote_on(),
        in_scope(),
        SETTINGS,
    )
    bad = {
        "options": vote_on(options=("停车位", "停车位")),
        "options ": vote_on(options=("只有一个",)),
        "closes_at": vote_on(closes_at=(utcnow() - timedelta(minutes=1)).isoformat()),
        "scope": vote_on(scope="community"),
    }
    for field, data in bad.items():
        error = refused(
            store,
            InvalidInput,
            deliberations.open_deliberation,
            WORKER,
            appeal["id"],
            data,
            in_scope(),
            SETTINGS,
        )
        assert list(error.fields) == [field.strip()], (field, error.fields)
    # a scope where nobody lives (a mistyped id) has nobody to vote
    error = refused(
        store,
        InvalidInput,
        deliberations.open_deliberation,
        WORKER,
        appeal["id"],
        vote_on(),
        in_scope([]),
        SETTINGS,
    )
    assert list(error.fields) == ["scope_id"]

    opened = open_vote(store, appeal)

    assert opened["status"] == "open"
    assert opened["eligible"] == 4 and opened["quorum_share"] == 0.5
    assert opened["votes_cast"] == 0 and opened["counts"] is None and opened["outcome"] is None
    notes = timeline(store, appeal["id"], "deliberation_opened")
    assert len(notes) == 1 and opened["id"] in notes[0]
    assert events(store, "deliberation_closed") == []


def test_an_appeal_that_is_over_has_nothing_to_vote_on(store):
    appeal = raise_appeal(store)
    run(store, app.withdraw, ALICE, appeal["id"], {})
    refused(
        store,
        Conflict,
        deliberations.open_deliberation,
        WORKER,
        appeal["id"],
        vote_on(),
        in_scope(),
        SETTINGS,
    )


@pytest.mark.parametrize(
    ("scope", "scope_id"), [("grid", "grid-9"), ("estate", "estate-9"), ("building", "building-9")]
)
def test_a_scope_outside_the_appeals_community_is_refused_and_nothing_opens(store, scope, scope_id):
    appeal = raise_appeal(store)
    data = vote_on(scope=scope, scope_id=scope_id)
    for answer in (
        in_scope(["erin"], scope, scope_id, community="community-2"),  # it lies next door
        in_scope(GRID_1),  # an answer about another scope than the one asked
        None,
    ):
        error = refused(
            store,
            NotFound,
            deliberations.open_deliberation,
            WORKER,
            appeal["id"],
            data,
            answer,
            SETTINGS,
        )
        assert error.fields == {"scope_id": ["not in this community"]}, answer
        assert str(error) == f"no {scope} {scope_id} in this community"
    with store.reading() as session:
        assert session.scalar(select(func.count()).select_from(Deliberation)) == 0
    assert timeline(store, appeal["id"], "deliberation_opened") == []
    assert events(store, "deliberation_closed") == []
    # erin, who lives there, has no vote to find
    assert run(store, deliberations.list_mine, ERIN, {}) == {"items": [], "next_cursor": None}


# -- voting ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "scope_id", "inside", "outside"),
    [
        ("grid", "grid-1", CAROL, DAVE),
        ("estate", "estate-1", DAVE, ERIN),
        ("building", "building-1", BOB, CAROL),
    ],
)
def test_only_residents_of_the_scope_vote(store, scope, scope_id, inside, outside):
    appeal = raise_appeal(store)
    opened = open_vote(store, appeal, scope=scope, scope_id=scope_id)

    error = refused(
        store, Forbidden, deliberations.vote, outside, opened["id"], {"option": "停车位"}
    )
    assert error.status == 403
    # staff who live elsewhere do not vote either
    refused(store, Forbidden, deliberations.vote, ADMIN, opened["id"], {"option": "停车位"})
    voted = run(store, deliberations.vote, inside, opened["id"], {"option": "停车位"})
    assert voted["my_vote"] == "停车位" and voted["votes_cast"] == 1


def test_each_resident_votes_once_for_one_of_the_options(store):
    opened = open_vote(store, raise_appeal(store))
    error = refused(
        store, InvalidInput, deliberations.vote, ALICE, opened["id"], {"option": "游泳池"}
    )
    assert list(error.fields) == ["option"]
    run(store, deliberations.vote, ALICE, opened["id"], {"option": "健身区"})

    second = refused(store, Conflict, deliberations.vote, ALICE, opened["id"], {"option": "停车位"})
    assert second.status == 409
    mine = run(store, deliberations.get, ALICE, opened["id"])
    assert mine["my_vote"] == "健身区" and mine["votes_cast"] == 1
    # the counts stay hidden while the vote is open
    assert mine["counts"] is None and mine["outcome"] is None and mine["winner"] is None
    assert run(store, deliberations.get, BOB, opened["id"])["my_vote"] is None
    refused(store, NotFound, deliberations.get, ERIN, opened["id"])  # neither in scope nor staff
    refused(store, NotFound, deliberations.vote, ALICE, "no-such-vote", {"option": "健身区"})


# -- closing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ballots", "outcome", "winner", "counts"),
    [
        ([(ALICE, "停车位"), (BOB, "停车位"), (CAROL, "健身区")], "decided", "停车位", [2, 1]),
        ([(ALICE, "停车位"), (BOB, "健身区")], "tie", None, [1, 1]),
        ([(ALICE, "健身区")], "no_quorum", None, [0, 1]),
    ],
)
def test_staff_close_early_and_the_result_matches_the_votes_cast(
    store, ballots, outcome, winner, counts
):
    appeal = raise_appeal(store)
    opened = open_vote(store, appeal)
    for who, option in ballots:
        run(store, deliberations.vote, who, opened["id"], {"option": option})
    refused(store, Forbidden, deliberations.close, ALICE, opened["id"])

    closed = run(store, deliberations.close, WORKER, opened["id"])

    expected = dict(zip(("停车位", "健身区"), counts, strict=True))
    assert (closed["status"], closed["outcome"], closed["winner"]) == ("closed", outcome, winner)
    assert closed["counts"] == expected and closed["votes_cast"] == len(ballots)
    assert closed["closed_at"] is not None
    (event,) = events(store, "deliberation_closed")
    assert event == {
        "deliberation_id": opened["id"],
        "appeal_id": appeal["id"],
        "question": opened["question"],
        "outcome": outcome,
        "winner": winner,
        "counts": expected,
        "eligible": 4,
    }
    (note,) = timeline(store, appeal["id"], "deliberation_closed")
    assert outcome.replace("_", " ") in note
    # closed is closed: no late vote, no second close, no second result
    refused(store, Conflict, deliberations.vote, WORKER, opened["id"], {"option": "停车位"})
    refused(store, Conflict, deliberations.close, WORKER, opened["id"])
    assert run(store, deliberations.get, ALICE, opened["id"])["counts"] == expected
    assert len(events(store, "deliberation_closed")) == 1


def _let_time_pass(store, deliberation_id):
    """The vote's closing time is now behind us."""
    with store.transaction() as tx:
        tx.session.execute(
            update(Deliberation)
            .where(Deliberation.id == deliberation_id)
            .values(closes_at=utcnow() - timedelta(seconds=1))
        )


def test_a_vote_past_its_closing_time_takes_no_votes_and_the_timer_closes_it_once(store):
    appeal = raise_appeal(store)
    opened = open_vote(store, appeal)
    later = open_vote(store, appeal, question="要不要装充电桩？", options=("要", "不要"))
    for who in (ALICE, BOB):
        run(store, deliberations.vote, who, opened["id"], {"option": "健身区"})
    _let_time_pass(store, opened["id"])

    refused(store, Conflict, deliberations.vote, CAROL, opened["id"], {"option": "停车位"})
    with store.reading() as session:
        assert deliberations.due(session, utcnow()) == [opened["id"]]  # not the later one
    assert run(store, deliberations.close_due, opened["id"]) is True
    assert run(store, deliberations.close_due, opened["id"]) is False
    assert run(store, deliberations.close_due, later["id"]) is False  # not due yet

    result = run(store, deliberations.get, WORKER, opened["id"])
    assert (result["outcome"], result["winner"]) == ("decided", "健身区")
    assert result["counts"] == {"停车位": 0, "健身区": 2}
    assert [e["deliberation_id"] for e in events(store, "deliberation_closed")] == [opened["id"]]
    assert len(timeline(store, appeal["id"], "deliberation_closed")) == 1
    with store.reading() as session:
        assert deliberations.due(session, utcnow()) == []


def test_closers_racing_for_one_due_vote_close_it_exactly_once(store):
    opened = open_vote(store, raise_appeal(store))
    run(store, deliberations.vote, ALICE, opened["id"], {"option": "停车位"})
    _let_time_pass(store, opened["id"])

    def close_in_own_transaction(_):
        with store.transaction() as tx:
            return deliberations.close_due(tx, opened["id"])

    outcomes = list(eventlet.GreenPool().imap(close_in_own_transaction, range(8)))

    assert sorted(outcomes) == [False] * 7 + [True]
    (event,) = events(store, "deliberation_closed")
    assert event["outcome"] == "no_quorum" and event["counts"] == {"停车位": 1, "健身区": 0}


def test_two_replicas_timers_close_each_due_vote_exactly_once(
    store, database_url, container_factory, test_config
):
    appeal = raise_appeal(store)
    votes = [open_vote(store, appeal, question=f"第{n}个问题") for n in range(5)]
    for n, opened in enumerate(votes):
        for who in (ALICE, BOB, CAROL)[: n % 4]:
            run(store, deliberations.vote, who, opened["id"], {"option": "停车位"})
        _let_time_pass(store, opened["id"])
    config = {**test_config, **APPEALS_TEST_CONFIG, "DATABASE_URL": database_url}
    replicas = [container_factory(AppealsService, config) for _ in range(2)]
    for replica in replicas:
        replica.start()

    def all_closed():
        with store.reading() as session:
            statuses = session.scalars(
                select(Deliberation.status).where(Deliberation.appeal_id == appeal["id"])
            ).all()
        return statuses == ["closed"] * len(votes)

    wait_until(all_closed, timeout=20, message="the timers to close every due vote")

    closed = events(store, "deliberation_closed")
    assert sorted(e["deliberation_id"] for e in closed) == sorted(v["id"] for v in votes)
    for event in closed:
        n = next(i for i, v in enumerate(votes) if v["id"] == event["deliberation_id"])
        cast = n % 4
        assert event["counts"] == {"停车位": cast, "健身区": 0}
        assert event["outcome"] == ("decided" if cast >= 2 else "no_quorum")
    assert len(timeline(store, appeal["id"], "deliberation_closed")) == len(votes)


# -- needs → projects ------------------------------------------------------------


def proposal(appeal_ids, **extra):
    return {
        "title": "东门空地改建停车位",
        "appeal_ids": list(appeal_ids),
        "estimated_cost_fen": 12_500_000,
        "beneficiaries": 1200,
        **extra,
    }


def test_community_admins_group_appeals_into_a_proposal_that_funding_hears_of(store):
    needs = [raise_appeal(store)["id"], raise_appeal(store, BOB)["id"]]
    unrelated = raise_appeal(store)["id"]
    refused(store, Forbidden, projects.propose, WORKER, proposal(needs))

    made = run(store, projects.propose, ADMIN, proposal(needs))

    assert made["appeal_ids"] == needs and made["community_id"] == "community-1"
    assert made["estimated_cost_fen"] == 12_500_000 and made["proposed_by"] == "admin"
    (event,) = events(store, "project_proposed")
    assert event == {
        "proposal_id": made["id"],
        "community_id": "community-1",
        "title": "东门空地改建停车位",
        "appeal_ids": needs,
        "estimated_cost_fen": 12_500_000,
        "beneficiaries": 1200,
        "proposed_by": "admin",
    }
    with store.reading() as session:
        linked = {a.id: a.project_proposal_id for a in session.scalars(select(Appeal))}
    assert linked == {needs[0]: made["id"], needs[1]: made["id"], unrelated: None}
    for appeal_id in needs:
        (note,) = timeline(store, appeal_id, "project_proposed")
        assert made["id"] in note
    # the admins and the residents whose appeals it groups see it; others do not
    assert run(store, projects.get, ADMIN, made["id"]) == made
    assert run(store, projects.get, BOB, made["id"])["id"] == made["id"]
    refused(store, NotFound, projects.get, ERIN, made["id"])
    refused(store, NotFound, projects.get, ADMIN, "no-such-proposal")


def test_a_proposal_takes_appeals_of_one_community_not_yet_proposed(store):
    first, second = raise_appeal(store)["id"], raise_appeal(store)["id"]
    elsewhere = raise_appeal(store, ERIN, grid="grid-9", community="community-2")["id"]
    run(store, projects.propose, ADMIN, proposal([first]))

    # already in another proposal
    error = refused(store, Conflict, projects.propose, ADMIN, proposal([second, first]))
    assert error.status == 409 and list(error.fields) == ["appeal_ids"]
    # another community's appeal: its admins cannot even see it...
    refused(store, NotFound, projects.propose, ADMIN, proposal([second, elsewhere]))
    # ...and the street, which sees both, may not mix two communities in one project
    error = refused(
        store, InvalidInput, projects.propose, STREET_ADMIN, proposal([second, elsewhere])
    )
    assert list(error.fields) == ["appeal_ids"]
    for bad, field in [
        (proposal([second, second]), "appeal_ids"),
        (proposal([]), "appeal_ids"),
        (proposal([second], estimated_cost_fen=-1), "estimated_cost_fen"),
        (proposal([second], estimated_cost_fen=125000.5), "estimated_cost_fen"),
        (proposal([second], beneficiaries="many"), "beneficiaries"),
    ]:
        error = refused(store, InvalidInput, projects.propose, ADMIN, bad)
        assert list(error.fields) == [field]
    run(store, app.withdraw, ALICE, second, {})
    refused(store, Conflict, projects.propose, ADMIN, proposal([second]))
    # the refusals changed nothing
    assert len(events(store, "project_proposed")) == 1
    with store.reading() as session:
        assert session.get(Appeal, second).project_proposal_id is None
    # community 2's own admin groups its appeal
    assert run(store, projects.propose, ADMIN_2, proposal([elsewhere]))["community_id"] == (
        "community-2"
    )
