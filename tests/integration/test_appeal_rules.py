"""The appeal lifecycle's rules through the service layer, on SQLite and PostgreSQL.

Principals and places are written out here as grid would give them, so each
rule is checked without the bus; the gateway tests cover the wiring."""

from datetime import timedelta

import pytest
from conftest import APPEALS_TEST_CONFIG
from sqlalchemy import func, select
from usecases import refused, run

from appeals import app
from appeals.models import Appeal
from appeals.service import MIGRATIONS
from yzw_kernel.db import Store
from yzw_kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from yzw_kernel.outbox import outbox_table
from yzw_kernel.types import utcnow

SETTINGS = {"deadlines": APPEALS_TEST_CONFIG["DEADLINES"], "quorum_share": 0.5}
STREET, COMMUNITY, GRID, OTHER_GRID = "street-1", "community-1", "grid-1", "grid-2"


def person(pid, household=None, grid=GRID, party_member=False, grid_roles=(), admin_roles=()):
    return {
        "person_id": pid,
        "name": pid,
        "party_member": party_member,
        "household_id": household,
        "building_id": "building-1" if household else None,
        "estate_id": "estate-1" if household else None,
        "grid_id": grid if household else None,
        "community_id": COMMUNITY if household else None,
        "grid_roles": [{"grid_id": g, "community_id": COMMUNITY, "role": r} for g, r in grid_roles],
        "admin_roles": [
            dict(zip(("role", "community_id", "street_id"), a, strict=False)) for a in admin_roles
        ],
    }


ALICE = person("alice", "home-1")
BOB = person("bob", "home-2")
MEMBER = person("member", "home-3", party_member=True)
WORKER = person("worker", "home-4", grid_roles=[(GRID, "grid_worker")])
OTHER_WORKER = person(
    "other-worker", "home-9", OTHER_GRID, grid_roles=[(OTHER_GRID, "grid_worker")]
)
HEAD = person("head", "home-5", grid_roles=[(GRID, "building_head")])
ADMIN = person("admin", admin_roles=[("community_admin", COMMUNITY, None)])
STREET_ADMIN = person("street-admin", admin_roles=[("street_admin", None, STREET)])


def place(household="home-1", worker="worker"):
    staff = [{"person_id": worker, "name": worker, "role": "grid_worker", "phone": "138****0000"}]
    return {
        "household": {"id": household, "building": {"id": "building-1"}},
        "grid": {"id": GRID, "name": "第1网格", "community_id": COMMUNITY, "street_id": STREET},
        "grid_staff": staff if worker else [],
    }


@pytest.fixture
def store(database_url):
    store = Store(database_url, source="appeals", migrations=MIGRATIONS)
    store.migrate()
    yield store
    store.dispose()


def submit(store, who=ALICE, worker="worker", **extra):
    data = {
        "category": "daily",
        "title": "路灯不亮",
        "description": "东门路灯坏了",
        "household_id": who["household_id"],
        **extra,
    }
    return run(store, app.submit, who, place(who["household_id"], worker), data, SETTINGS)


def published(store, event_type):
    with store.engine.connect() as connection:
        return connection.scalar(
            select(func.count())
            .select_from(outbox_table)
            .where(outbox_table.c.event_type == event_type)
        )


def test_a_resident_raises_appeals_only_for_their_own_household(store):
    refused(
        store,
        Forbidden,
        app.submit,
        BOB,
        place("home-1"),
        {"category": "daily", "title": "t", "description": "d", "household_id": "home-1"},
        SETTINGS,
    )
    # staff raise one for a resident from a visit, never as if from the app
    data = {
        "category": "dispute",
        "title": "邻里纠纷",
        "description": "噪音",
        "household_id": "home-1",
    }
    error = refused(store, InvalidInput, app.submit, WORKER, place(), data, SETTINGS)
    assert list(error.fields) == ["source"]
    made = run(store, app.submit, WORKER, place(), {**data, "source": "visit"}, SETTINGS)
    assert made["source"] == "visit" and made["submitter_id"] is None


def test_numbers_are_human_readable_and_unique(store):
    numbers = [submit(store)["number"] for _ in range(3)]
    year = utcnow().year
    assert numbers == [f"{year}-000001", f"{year}-000002", f"{year}-000003"]


def test_without_a_grid_worker_the_appeal_waits_in_the_grid_queue(store):
    made = submit(store, worker=None)
    assert made["status"] == "submitted" and made["assignee"] is None
    assert published(store, "appeal_submitted") == 1
    assert published(store, "appeal_dispatched") == 0
    # 党员接单: a party member of the community takes it from the queue
    claimed = run(store, app.claim, MEMBER, made["id"])
    assert claimed["status"] == "claimed" and claimed["handler_id"] == "member"


def test_only_the_person_it_was_dispatched_to_claims_it(store):
    made = submit(store)
    refused(store, Forbidden, app.claim, MEMBER, made["id"])
    refused(store, NotFound, app.claim, BOB, made["id"])  # not even visible to him
    assert run(store, app.claim, WORKER, made["id"])["status"] == "claimed"
    refused(store, Forbidden, app.resolve, ADMIN, made["id"], {"resolution": "x"})


def confirmed(kind, target_id, community=COMMUNITY, street=STREET):
    """The owner's word (grid's; volunteer's for a team) that a target is of the community."""
    return {"kind": kind, "id": target_id, "community_id": community, "street_id": street}


def dispatching(kind, target_id):
    return {"assignee_kind": kind, "assignee_id": target_id}


def test_dispatch_goes_only_to_a_target_confirmed_in_the_appeals_community(store):
    made = submit(store)
    before = run(store, app.get, WORKER, made["id"])
    dispatched = published(store, "appeal_dispatched")
    for kind, target_id, answer in (
        ("person", "erin", confirmed("person", "erin", community="community-2")),
        ("person", "erin", None),
        ("person", "erin", confirmed("person", "bob")),  # an answer about someone else
        ("volunteer_team", "team-2", confirmed("member_org", "team-2")),  # another kind
        ("member_org", "org-2", confirmed("member_org", "org-2", community="community-2")),
        ("department", "dept-2", confirmed("department", "dept-2", street="street-2")),
    ):
        error = refused(
            store, NotFound, app.dispatch, WORKER, made["id"], dispatching(kind, target_id), answer
        )
        assert error.fields == {"assignee_id": ["not in this community"]}, (kind, answer)
        assert str(error) == f"no {kind} {target_id} in this community"
    # nothing changed: no timeline entry, no assignee, no event
    assert run(store, app.get, WORKER, made["id"]) == before
    assert published(store, "appeal_dispatched") == dispatched
    # who may dispatch is settled before any target is asked about
    with store.reading() as session:
        assert app.community_for_staff(session, WORKER, made["id"], app.DISPATCH) == COMMUNITY
        with pytest.raises(Forbidden):
            app.community_for_staff(session, ALICE, made["id"], app.DISPATCH)
        with pytest.raises(NotFound):
            app.community_for_staff(session, BOB, made["id"], app.DISPATCH)

    for kind, target_id in (
        ("person", "member"),
        ("volunteer_team", "team-1"),
        ("member_org", "org-1"),
        ("department", "dept-1"),
    ):
        body = run(
            store,
            app.dispatch,
            WORKER,
            made["id"],
            dispatching(kind, target_id),
            confirmed(kind, target_id),
        )
        assert body["assignee"] == {"kind": kind, "id": target_id}
    assert published(store, "appeal_dispatched") == dispatched + 4


def test_staff_reject_with_a_reason_and_submitters_withdraw(store):
    first, second = submit(store), submit(store)
    error = refused(store, InvalidInput, app.reject, WORKER, first["id"], {"reason": ""})
    assert "reason" in error.fields
    refused(store, Forbidden, app.reject, ALICE, first["id"], {"reason": "不归我管"})
    rejected = run(store, app.reject, WORKER, first["id"], {"reason": "属于物业职责"})
    assert rejected["status"] == "rejected"
    assert rejected["timeline"][-1]["note"] == "属于物业职责"
    refused(store, Conflict, app.withdraw, ALICE, first["id"], {})  # final stays final
    refused(store, Forbidden, app.withdraw, WORKER, second["id"], {})
    assert run(store, app.withdraw, ALICE, second["id"], {})["status"] == "withdrawn"


def test_escalation_climbs_one_level_at_a_time_to_the_departments(store):
    made = submit(store, category="safety")
    levels = []
    for actor in (WORKER, ADMIN, STREET_ADMIN):
        body = run(store, app.escalate, actor, made["id"], {"reason": "超出本级职责"}, SETTINGS)
        levels.append((body["level"], body["status"], body["assignee"]))
    assert levels == [
        ("community", "submitted", None),
        ("street", "submitted", None),
        ("department", "submitted", None),
    ]
    refused(
        store, Conflict, app.escalate, STREET_ADMIN, made["id"], {"reason": "再上一级"}, SETTINGS
    )
    # once above the grid, the grid's worker no longer acts on it
    refused(store, Forbidden, app.dispatch, WORKER, made["id"], {"assignee_id": "x"}, None)
    assert published(store, "appeal_escalated") == 3
    with store.reading() as session:
        appeal = session.get(Appeal, made["id"])
        # safety: 24 hours at the grid, three times that at the department level
        hours = (appeal.deadline_at - appeal.created_at) / timedelta(hours=1)
    assert 72 <= hours < 73


def test_a_handler_returns_an_appeal_to_the_grids_queue_with_a_reason(store):
    made = submit(store)
    refused(store, InvalidInput, app.return_appeal, WORKER, made["id"], {"reason": " "}, SETTINGS)
    back = run(store, app.return_appeal, WORKER, made["id"], {"reason": "不在我的片区"}, SETTINGS)
    assert back["status"] == "submitted" and back["assignee"] is None
    assert back["timeline"][-1]["action"] == "return"


def test_an_extension_is_asked_by_the_handler_and_granted_by_staff(store):
    made = submit(store)
    before = run(store, app.get, WORKER, made["id"])["deadline_at"]
    refused(store, Forbidden, app.request_extension, ALICE, made["id"], {"days": 3, "reason": "r"})
    asked = run(store, app.request_extension, WORKER, made["id"], {"days": 3, "reason": "等配件"})
    assert asked["extension_requested_days"] == 3
    refused(store, Conflict, app.request_extension, WORKER, made["id"], {"days": 1, "reason": "r"})
    refused(store, Forbidden, app.grant_extension, ALICE, made["id"])
    granted = run(store, app.grant_extension, ADMIN, made["id"])
    assert granted["extension_requested_days"] is None
    assert granted["deadline_at"] > before
    assert [t["action"] for t in granted["timeline"]][-2:] == [
        "extension_requested",
        "extension_granted",
    ]


def test_urging_opens_when_the_deadline_has_passed_once_a_day(store):
    made = submit(store)
    refused(store, Conflict, app.urge, ALICE, made["id"])
    with store.transaction() as tx:
        tx.session.get(Appeal, made["id"]).deadline_at = utcnow() - timedelta(hours=1)
    refused(store, NotFound, app.urge, BOB, made["id"])
    urged = run(store, app.urge, ALICE, made["id"])
    assert urged["overdue"] is True
    assert urged["timeline"][-1]["action"] == "urged"
    refused(store, Conflict, app.urge, ALICE, made["id"])


def test_a_confidential_appeal_shows_its_text_only_to_its_submitter_and_handling_staff(store):
    made = submit(store, confidential=True, description="家暴求助，请勿公开")
    assert run(store, app.get, ALICE, made["id"])["description"] == "家暴求助，请勿公开"
    assert run(store, app.get, WORKER, made["id"])["description"] == "家暴求助，请勿公开"
    run(store, app.escalate, WORKER, made["id"], {"reason": "需社区介入"}, SETTINGS)
    assert run(store, app.get, ADMIN, made["id"])["description"] == "家暴求助，请勿公开"
    # the grid's building head still sees that it exists, no longer what it says
    seen = run(store, app.get, HEAD, made["id"])
    assert seen["description"] is None and seen["timeline"][0]["note"] is None
    refused(store, NotFound, app.get, OTHER_WORKER, made["id"])
    refused(store, NotFound, app.get, BOB, made["id"])


def test_an_anonymous_appeal_hides_who_raised_it_from_everyone_else(store):
    made = submit(store, anonymous=True)
    assert run(store, app.get, ALICE, made["id"])["submitter_id"] == "alice"
    staff_view = run(store, app.get, WORKER, made["id"])
    assert staff_view["submitter_id"] is None
    assert staff_view["timeline"][0]["actor_id"] is None


def place_of(body):
    return body["household_id"], body["building_id"]


def test_an_anonymous_appeal_shows_its_building_and_its_household_only_to_its_handler(store):
    made = submit(store, anonymous=True)
    assert place_of(made) == ("home-1", "building-1")  # its submitter's own home
    # the worker it was routed to, before taking it on, and the community's admin
    assert place_of(run(store, app.get, WORKER, made["id"])) == (None, "building-1")
    assert place_of(run(store, app.get, ADMIN, made["id"])) == (None, "building-1")
    assert place_of(run(store, app.claim, WORKER, made["id"])) == ("home-1", "building-1")
    assert place_of(run(store, app.get, ADMIN, made["id"])) == (None, "building-1")
    # an appeal that is not anonymous shows its household to the grid's staff
    assert place_of(run(store, app.get, ADMIN, submit(store)["id"])) == ("home-1", "building-1")


def into_the_queue(store, how):
    """A confidential appeal back in the grid's queue, returned (退单) or re-queued."""
    made = submit(store, confidential=True)
    run(store, app.claim, WORKER, made["id"])
    if how == "return":
        run(store, app.return_appeal, WORKER, made["id"], {"reason": "不在我的片区"}, SETTINGS)
    else:
        revoked = {"person_id": "worker", "grid_id": GRID, "community_id": COMMUNITY}
        run(
            store,
            app.requeue_for_revoked_role,
            {"data": {**revoked, "role": "grid_worker"}},
            SETTINGS,
        )
    return made["id"]


@pytest.mark.parametrize("how", ["return", "requeue"])
def test_party_members_neither_see_nor_claim_a_confidential_appeal_in_the_queue(store, how):
    appeal_id = into_the_queue(store, how)
    plain = submit(store, worker=None)["id"]

    queue = run(store, app.list_appeals, MEMBER, {"claimable": True})
    assert [item["id"] for item in queue["items"]] == [plain]
    assert run(store, app.list_appeals, MEMBER, {})["items"] == queue["items"]
    refused(store, NotFound, app.get, MEMBER, appeal_id)
    refused(store, NotFound, app.claim, MEMBER, appeal_id)
    # the grid's staff take it on, and read it
    claimed = run(store, app.claim, HEAD, appeal_id)
    assert (claimed["handler_id"], claimed["description"]) == ("head", "东门路灯坏了")
    # a party member who staffs the grid sees it in the queue and takes it on
    staff_member = person(
        "staff-member", "home-6", party_member=True, grid_roles=[(GRID, "unit_head")]
    )
    second = into_the_queue(store, how)
    queue = run(store, app.list_appeals, staff_member, {"claimable": True})
    assert second in {item["id"] for item in queue["items"]}
    assert run(store, app.claim, staff_member, second)["handler_id"] == "staff-member"


def test_a_party_members_queue_holds_only_what_they_may_claim(store):
    """Above the grid, an appeal is its level's staff's to take on: not in the party
    member's queue, which would show its title to someone who may not open it."""
    made = submit(store, worker=None)
    run(store, app.escalate, WORKER, made["id"], {"reason": "需社区协调"}, SETTINGS)
    assert run(store, app.list_appeals, MEMBER, {"claimable": True})["items"] == []
    refused(store, NotFound, app.claim, MEMBER, made["id"])
    assert run(store, app.claim, ADMIN, made["id"])["handler_id"] == "admin"


def test_a_confidential_appeals_words_are_null_for_whoever_may_not_read_them(store):
    made = submit(store, confidential=True, photo_urls=["https://p.example.cn/1.jpg"])
    run(store, app.claim, WORKER, made["id"])
    run(store, app.resolve, WORKER, made["id"], {"resolution": "已上门调解"})
    run(store, app.rate, ALICE, made["id"], {"score": 2, "comment": "仍未解决"}, SETTINGS)
    run(store, app.escalate, WORKER, made["id"], {"reason": "需社区介入"}, SETTINGS)
    words = ("title", "description", "photo_urls", "resolution", "rating_comment")

    for reader in (ALICE, ADMIN):  # its submitter, and the staff of its level
        body = run(store, app.get, reader, made["id"])
        assert [body[w] for w in words] == [
            "路灯不亮",
            "东门路灯坏了",
            ["https://p.example.cn/1.jpg"],
            "已上门调解",
            "仍未解决",
        ]
    # the grid's building head: that it exists, and nothing it says or who said it
    seen = run(store, app.get, HEAD, made["id"])
    assert [seen[w] for w in (*words, "submitter_id", "household_id")] == [None] * 7
    assert {step["note"] for step in seen["timeline"]} == {None}
    assert "alice" not in {step["actor_id"] for step in seen["timeline"]}
    (item,) = run(store, app.list_appeals, HEAD, {})["items"]
    assert (item["id"], item["title"]) == (made["id"], None)
    assert run(store, app.list_appeals, ADMIN, {})["items"][0]["title"] == "路灯不亮"


def test_lists_show_each_person_what_is_theirs_newest_first_by_cursor(store):
    mine = [submit(store)["id"] for _ in range(5)]
    bobs = submit(store, who=BOB)["id"]

    page = run(store, app.list_appeals, ALICE, {"limit": 2})
    seen = [item["id"] for item in page["items"]]
    while page["next_cursor"]:
        page = run(store, app.list_appeals, ALICE, {"limit": 2, "cursor": page["next_cursor"]})
        seen += [item["id"] for item in page["items"]]
    assert seen == mine[::-1]

    staff = run(store, app.list_appeals, WORKER, {"limit": 100, "assignee": "me"})
    assert {item["id"] for item in staff["items"]} == {*mine, bobs}
    assert run(store, app.list_appeals, OTHER_WORKER, {"limit": 100})["items"] == []
    refused(store, InvalidInput, app.list_appeals, ALICE, {"limit": 1000})
    refused(store, InvalidInput, app.list_appeals, ALICE, {"cursor": "not-ours"})
