"""The grid's use cases through its service layer, on SQLite and on PostgreSQL.

Each test calls `grid.app` functions inside a unit of work, as the RPC
entrypoints do, against a freshly migrated database; no broker is involved,
so published events stay in the outbox table where the tests read them.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from api_client import next_phone
from conftest import DEMO_PASSWORD, grid_store
from sqlalchemy import func, select
from usecases import refused, run

from grid import app
from grid.admin import create_street_admin
from grid.models import Community, DutySlot, Estate, PartyOrg, PartyOrgMember, Person
from yzw_kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from yzw_kernel.outbox import outbox_table
from yzw_kernel.principal import Principal

# -- helpers -------------------------------------------------------------------


@pytest.fixture
def store(database_url):
    store = grid_store(database_url)
    try:
        yield store
    finally:
        store.dispose()


@pytest.fixture
def admin(store):
    """The street admin's person id."""
    return create_street_admin(store, "昆都仑区", "街道管理员", "13800000001", DEMO_PASSWORD)[
        "person_id"
    ]


def count(store, model, *where):
    with store.reading() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def events(store, event_type):
    """The envelopes of one event type in the outbox, oldest first."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(outbox_table.c.event_type, outbox_table.c.payload).order_by(outbox_table.c.seq)
        ).all()
    envelopes = [json.loads(payload) for kind, payload in rows if kind == event_type]
    assert all(e["type"] == f"grid.{event_type}" for e in envelopes)
    return envelopes


def register(store, actor_id, name, household_id=None, **extra):
    data = {
        "name": name,
        "phone": next_phone(),
        "password": DEMO_PASSWORD,
        "household_id": household_id,
        **extra,
    }
    return run(store, app.register_person, actor_id, data)


def build_place(store, actor_id, name="海威社区"):
    """One community with one estate, grid, building, unit and household."""
    with store.transaction() as tx:
        community = app.create_community(tx, actor_id, {"name": name})["id"]
        estate = app.create_estate(tx, actor_id, {"community_id": community, "name": "一区"})["id"]
        grid = app.create_grid(tx, actor_id, {"community_id": community, "name": "第1网格"})["id"]
        building = app.create_building(
            tx, actor_id, {"estate_id": estate, "grid_id": grid, "name": "1号楼"}
        )["id"]
        unit = app.create_unit(tx, actor_id, {"building_id": building, "name": "1单元"})["id"]
        household = app.create_household(tx, actor_id, {"unit_id": unit, "number": "101"})["id"]
    return {
        "community": community,
        "estate": estate,
        "grid": grid,
        "building": building,
        "unit": unit,
        "household": household,
    }


def iso(moment):
    return moment.isoformat()


# -- the place tree and who may build it -----------------------------------------


def test_a_household_knows_its_unit_building_estate_and_grid_all_in_one_community(store, admin):
    ids = build_place(store, admin)

    with store.reading() as session:
        household, unit, building, estate, grid = app.household_place(session, ids["household"])
        assert (household.id, unit.id, building.id, estate.id, grid.id) == (
            ids["household"],
            ids["unit"],
            ids["building"],
            ids["estate"],
            ids["grid"],
        )
        assert estate.community_id == grid.community_id == ids["community"]

    # a building joins an estate and a grid of one community
    other = build_place(store, admin, "少先社区")
    error = refused(
        store,
        InvalidInput,
        app.create_building,
        admin,
        {"estate_id": ids["estate"], "grid_id": other["grid"], "name": "2号楼"},
    )
    assert "grid_id" in error.fields


def test_a_community_admin_builds_in_their_community_and_nowhere_else(store, admin):
    mine = build_place(store, admin, "海威社区")
    other = build_place(store, admin, "少先社区")
    manager = register(store, admin, "社区书记")["id"]
    run(
        store,
        app.grant_admin_role,
        admin,
        mine["community"],
        {"person_id": manager, "role": "community_admin"},
    )

    estate = run(
        store, app.create_estate, manager, {"community_id": mine["community"], "name": "二区"}
    )
    assert estate["community_id"] == mine["community"]

    refused(
        store,
        Forbidden,
        app.create_estate,
        manager,
        {"community_id": other["community"], "name": "二区"},
    )
    refused(
        store,
        Forbidden,
        app.create_grid,
        manager,
        {"community_id": other["community"], "name": "G"},
    )
    with store.reading() as session:
        street = session.get(Community, mine["community"]).street_id
    refused(store, Forbidden, app.create_community, manager, {"name": "自立社区", "street": street})
    assert count(store, Estate, Estate.community_id == other["community"]) == 1


def other_resident(store, admin):
    """A person with no admin role at all."""
    return register(store, admin, "路人", None)["id"]


def test_a_street_admin_creates_communities_in_their_own_street_only(store, admin):
    other = create_street_admin(store, "青山区", "青山管理员", "13800000002", DEMO_PASSWORD)

    own = run(store, app.create_community, admin, {"name": "海威社区"})
    assert own["street_id"] != other["street_id"]

    refused(
        store,
        Forbidden,
        app.create_community,
        admin,
        {"name": "越界社区", "street": other["street_id"]},
    )
    refused(store, NotFound, app.create_community, admin, {"name": "无街社区", "street": "nowhere"})
    made = run(
        store,
        app.create_community,
        other["person_id"],
        {"name": "越界社区", "street": other["street_id"]},
    )
    assert made["street_id"] == other["street_id"]

    # someone who administers no street cannot create one anywhere, street given or not
    refused(store, Forbidden, app.create_community, other_resident(store, admin), {"name": "无名"})

    # an admin of two streets says which one
    run(store, app.grant_street_admin, admin, other["street_id"])
    error = refused(store, InvalidInput, app.create_community, admin, {"name": "哪个社区"})
    assert "street" in error.fields


# -- people ----------------------------------------------------------------------


def test_registering_a_person_writes_person_registered_to_the_outbox_in_the_same_commit(
    store, admin
):
    ids = build_place(store, admin)
    before = len(events(store, "person_registered"))  # the street admin's own

    with pytest.raises(RuntimeError), store.transaction() as tx:
        app.register_person(
            tx,
            admin,
            {"name": "撤回", "phone": next_phone(), "password": DEMO_PASSWORD},
        )
        raise RuntimeError("the rest of the unit of work fails")
    assert len(events(store, "person_registered")) == before
    assert count(store, Person, Person.name == "撤回") == 0

    person = register(store, admin, "张大妈", ids["household"], party_member=True)

    (event,) = events(store, "person_registered")[before:]
    assert event["data"] == {
        "person_id": person["id"],
        "name": "张大妈",
        "household_id": ids["household"],
        "grid_id": ids["grid"],
        "community_id": ids["community"],
        "party_member": True,
    }
    assert person["party_membership"] == "registered"


def test_a_refused_registration_leaves_no_person_and_no_event(store, admin):
    phone = next_phone()
    register(store, admin, "张大妈", phone=phone)
    rows = len(events(store, "person_registered"))
    people = count(store, Person)

    error = refused(
        store,
        Conflict,
        app.register_person,
        admin,
        {"name": "李大爷", "phone": phone, "password": DEMO_PASSWORD},
    )

    assert "phone" in error.fields

    # a reporting party member (报到党员) names an employer
    error = refused(
        store,
        InvalidInput,
        app.register_person,
        admin,
        {
            "name": "报到党员",
            "phone": next_phone(),
            "password": DEMO_PASSWORD,
            "party_membership": "reporting",
        },
    )
    assert list(error.fields) == ["employer"]

    assert len(events(store, "person_registered")) == rows
    assert count(store, Person) == people

    person = register(store, admin, "报到党员", party_membership="reporting", employer="包钢集团")
    assert (person["party_membership"], person["employer"]) == ("reporting", "包钢集团")
    assert events(store, "person_registered")[-1]["data"]["party_member"] is True


# -- grid roles --------------------------------------------------------------------


def test_assigning_and_revoking_a_grid_role_write_role_events(store, admin):
    ids = build_place(store, admin)
    worker = register(store, admin, "网格员", ids["household"])["id"]
    other = register(store, admin, "另一人", ids["household"])["id"]
    expected = {
        "grid_id": ids["grid"],
        "community_id": ids["community"],
        "person_id": worker,
        "role": "grid_worker",
    }

    run(
        store,
        app.assign_grid_role,
        admin,
        ids["grid"],
        {"person_id": worker, "role": "grid_worker"},
    )
    refused(
        store,
        Conflict,
        app.assign_grid_role,
        admin,
        ids["grid"],
        {"person_id": other, "role": "grid_worker"},
    )
    assert [e["data"] for e in events(store, "role_assigned")] == [expected]

    revoked = run(store, app.revoke_grid_role, admin, ids["grid"], worker, "grid_worker")
    assert revoked == {"grid_id": ids["grid"], "person_id": worker, "role": "grid_worker"}
    assert [e["data"] for e in events(store, "role_revoked")] == [expected]

    refused(store, NotFound, app.revoke_grid_role, admin, ids["grid"], worker, "grid_worker")
    assert len(events(store, "role_revoked")) == 1
    # the place is free again
    run(
        store, app.assign_grid_role, admin, ids["grid"], {"person_id": other, "role": "grid_worker"}
    )
    assert events(store, "role_assigned")[-1]["data"]["person_id"] == other


# -- the party organisation tree ----------------------------------------------------


def _party_org(store, actor, community, kind, name, parent=None, **extra):
    data = {"community_id": community, "kind": kind, "name": name, "parent_id": parent, **extra}
    return run(store, app.create_party_org, actor, data)


def _sorted_tree(nodes):
    return sorted(
        ({**n, "children": _sorted_tree(n["children"])} for n in nodes), key=lambda n: n["name"]
    )


def test_the_party_tree_nests_committee_branches_groups_and_central_households(store, admin):
    ids = build_place(store, admin)
    elsewhere = build_place(store, admin, "少先社区")
    secretary = register(store, admin, "支部书记", ids["household"], party_member=True)["id"]
    c = ids["community"]

    committee = _party_org(store, admin, c, "community_committee", "海威社区党委")
    branch = _party_org(
        store, admin, c, "grid_branch", "第1网格党支部", committee["id"], grid_id=ids["grid"]
    )
    group = _party_org(
        store, admin, c, "building_group", "1号楼党小组", branch["id"], building_id=ids["building"]
    )
    central = _party_org(
        store,
        admin,
        c,
        "central_household",
        "101党员中心户",
        group["id"],
        household_id=ids["household"],
    )
    functional = _party_org(
        store, admin, c, "functional_branch", "志愿服务党支部", committee["id"], focus="志愿服务"
    )
    action = _party_org(store, admin, c, "action_group", "和事佬行动党小组", functional["id"])
    _party_org(store, admin, elsewhere["community"], "community_committee", "少先社区党委")
    run(
        store,
        app.add_party_org_member,
        admin,
        branch["id"],
        {"person_id": secretary, "role": "secretary"},
    )

    tree = run(store, app.party_tree, admin, c)

    def node(org, members=(), children=()):
        return {**org, "members": list(members), "children": list(children)}

    assert branch["grid_id"] == ids["grid"] and central["household_id"] == ids["household"]
    assert _sorted_tree(tree) == _sorted_tree(
        [
            node(
                committee,
                children=[
                    node(
                        branch,
                        members=[{"person_id": secretary, "name": "支部书记", "role": "secretary"}],
                        children=[node(group, children=[node(central)])],
                    ),
                    node(functional, children=[node(action)]),
                ],
            )
        ]
    )


def test_the_party_tree_refuses_wrong_parents_a_second_committee_and_non_members(store, admin):
    ids = build_place(store, admin)
    elsewhere = build_place(store, admin, "少先社区")
    c = ids["community"]
    committee = _party_org(store, admin, c, "community_committee", "社区党委")
    foreign = _party_org(store, admin, elsewhere["community"], "community_committee", "外社区党委")
    orgs = count(store, PartyOrg)

    for kind, parent in [
        ("building_group", committee["id"]),  # skips the grid branch
        ("community_committee", committee["id"]),
        ("grid_branch", None),
        ("grid_branch", foreign["id"]),  # a parent in another community
    ]:
        error = refused(
            store,
            InvalidInput,
            app.create_party_org,
            admin,
            {"community_id": c, "kind": kind, "name": "错位", "parent_id": parent},
        )
        assert "parent_id" in error.fields, (kind, parent)
    refused(
        store,
        Conflict,
        app.create_party_org,
        admin,
        {"community_id": c, "kind": "community_committee", "name": "第二党委"},
    )
    assert count(store, PartyOrg) == orgs

    not_member = register(store, admin, "群众", ids["household"])["id"]
    error = refused(
        store,
        InvalidInput,
        app.add_party_org_member,
        admin,
        committee["id"],
        {"person_id": not_member},
    )
    assert "person_id" in error.fields
    assert count(store, PartyOrgMember) == 0


# -- member organisations and the 双月轮值 roster ------------------------------------


def _member_orgs(store, actor, community, names):
    with store.transaction() as tx:
        return [
            app.create_member_org(
                tx, actor, {"community_id": community, "name": name, "kind": "enterprise"}
            )["id"]
            for name in names
        ]


def test_the_duty_roster_gives_six_member_orgs_two_months_each_and_is_replaced_whole(store, admin):
    ids = build_place(store, admin)
    elsewhere = build_place(store, admin, "少先社区")
    orgs = _member_orgs(store, admin, ids["community"], [f"共建单位{n}" for n in range(1, 7)])
    (foreign,) = _member_orgs(store, admin, elsewhere["community"], ["外社区单位"])

    roster = run(
        store, app.set_duty_roster, admin, ids["community"], 2026, {"member_org_ids": orgs}
    )

    assert roster["community_id"] == ids["community"] and roster["year"] == 2026
    assert [(s["slot"], s["months"], s["member_org_id"]) for s in roster["slots"]] == [
        (1, [1, 2], orgs[0]),
        (2, [3, 4], orgs[1]),
        (3, [5, 6], orgs[2]),
        (4, [7, 8], orgs[3]),
        (5, [9, 10], orgs[4]),
        (6, [11, 12], orgs[5]),
    ]
    assert roster["slots"][0]["member_org_name"] == "共建单位1"
    assert run(store, app.duty_roster, admin, ids["community"], 2026) == roster

    error = refused(
        store,
        InvalidInput,
        app.set_duty_roster,
        admin,
        ids["community"],
        2026,
        {"member_org_ids": [*orgs[:5], foreign]},
    )
    assert foreign in str(error.fields["member_org_ids"])
    assert run(store, app.duty_roster, admin, ids["community"], 2026) == roster

    reversed_roster = run(
        store,
        app.set_duty_roster,
        admin,
        ids["community"],
        2026,
        {"member_org_ids": orgs[::-1]},
    )
    assert [s["member_org_id"] for s in reversed_roster["slots"]] == orgs[::-1]
    assert run(store, app.duty_roster, admin, ids["community"], 2026) == reversed_roster
    assert count(store, DutySlot) == 6
    assert run(store, app.duty_roster, admin, ids["community"], 2027)["slots"] == []
    refused(store, NotFound, app.duty_roster, admin, "no-such-community", 2026)
    outsider = register(store, admin, "外人", elsewhere["household"])["id"]
    refused(store, Forbidden, app.duty_roster, outsider, ids["community"], 2026)


# -- a small known community: two estates, three grids, four households -------------


@pytest.fixture
def known(store, admin):
    """海威社区: estates E1 and E2; grids G1, G2 and an empty G3; buildings B1 (E1, G1),
    B2 (E1, G2) and B3 (E2, G2), one unit each; households H1 (home) and H2 (shop) in B1,
    H3 in B2 and H4 in B3. People: worker W (of G1) and party member R1 live in H1,
    R2 in H3, reporting party member R3 in H4; leader L of G2 lives nowhere here.
    Next door, 少先社区 has household D1 with party member D."""
    k = {}
    with store.transaction() as tx:

        def place(create, key, data):
            k[key] = create(tx, admin, data)["id"]

        place(app.create_community, "C", {"name": "海威社区"})
        for e in ("E1", "E2"):
            place(app.create_estate, e, {"community_id": k["C"], "name": e})
        for g in ("G1", "G2", "G3"):
            place(app.create_grid, g, {"community_id": k["C"], "name": g})
        for b, e, g in (("B1", "E1", "G1"), ("B2", "E1", "G2"), ("B3", "E2", "G2")):
            place(app.create_building, b, {"estate_id": k[e], "grid_id": k[g], "name": b})
            place(app.create_unit, f"U{b[1]}", {"building_id": k[b], "name": "1单元"})
        for h, u, kind in (("H1", "U1", "home"), ("H2", "U1", "shop"), ("H3", "U2", "home")):
            place(app.create_household, h, {"unit_id": k[u], "number": h, "kind": kind})
        place(app.create_household, "H4", {"unit_id": k["U3"], "number": "H4"})
    next_door = build_place(store, admin, "少先社区")
    k["D1"] = next_door["household"]
    k["C_next_door"] = next_door["community"]
    k["G_next_door"] = next_door["grid"]
    k["E_next_door"] = next_door["estate"]
    k["B_next_door"] = next_door["building"]

    k["W"] = register(store, admin, "W", k["H1"])["id"]
    k["R1"] = register(store, admin, "R1", k["H1"], party_member=True)["id"]
    k["R2"] = register(store, admin, "R2", k["H3"])["id"]
    k["R3"] = register(
        store, admin, "R3", k["H4"], party_membership="reporting", employer="包头供电局"
    )["id"]
    k["L"] = register(store, admin, "L")["id"]
    k["D"] = register(store, admin, "D", k["D1"], party_member=True)["id"]
    run(store, app.assign_grid_role, admin, k["G1"], {"person_id": k["W"], "role": "grid_worker"})
    run(store, app.assign_grid_role, admin, k["G2"], {"person_id": k["L"], "role": "grid_leader"})
    return k


def test_a_visit_goes_to_the_outbox_and_only_staff_and_party_members_here_may_log_one(store, known):
    at = datetime.now(UTC) - timedelta(hours=1)

    visit = run(
        store,
        app.log_visit,
        known["W"],
        {"household_id": known["H2"], "notes": "商铺消防检查", "visited_at": iso(at)},
    )

    assert visit["visitor_id"] == known["W"] and visit["household_id"] == known["H2"]
    assert datetime.fromisoformat(visit["visited_at"]) == at
    assert visit["visited_at"].endswith("+00:00")  # one instant, always written in UTC
    (event,) = events(store, "visit_logged")
    assert event["data"] == {
        "visit_id": visit["id"],
        "visitor_id": known["W"],
        "household_id": known["H2"],
        "grid_id": known["G1"],
        "visited_at": visit["visited_at"],
    }

    h1 = {"household_id": known["H1"]}

    # R2 lives in G2 and holds no role: G1's households are not theirs to visit
    refused(store, Forbidden, app.log_visit, known["R2"], h1)
    # 党员联系群众: a party member of the same community may, one from next door may not
    run(store, app.log_visit, known["R3"], h1)
    refused(store, Forbidden, app.log_visit, known["D"], h1)

    tomorrow = datetime.now(UTC) + timedelta(days=1)
    error = refused(
        store, InvalidInput, app.log_visit, known["W"], {**h1, "visited_at": iso(tomorrow)}
    )
    assert list(error.fields) == ["visited_at"]
    visitors = [e["data"]["visitor_id"] for e in events(store, "visit_logged")]
    assert visitors == [known["W"], known["R3"]]


def test_visits_to_a_household_are_listed_newest_first(store, known):
    now = datetime.now(UTC)
    for days, note in ((3, "三天前"), (10, "十天前"), (1, "昨天")):
        at = iso(now - timedelta(days=days))
        run(
            store,
            app.log_visit,
            known["W"],
            {"household_id": known["H1"], "visited_at": at, "notes": note},
        )
    run(store, app.log_visit, known["W"], {"household_id": known["H2"], "notes": "别家"})

    page = run(store, app.list_visits, known["W"], known["H1"], {"limit": 2})
    rest = run(store, app.list_visits, known["W"], known["H1"], {"cursor": page["next_cursor"]})
    visits = page["items"] + rest["items"]

    assert [v["notes"] for v in visits] == ["昨天", "三天前", "十天前"]
    assert rest["next_cursor"] is None
    assert {v["household_id"] for v in visits} == {known["H1"]}
    refused(store, Forbidden, app.list_visits, known["R1"], known["H1"])


RESIDENTS = [
    ("grid", "G1", ["W", "R1"]),
    ("grid", "G2", ["R2", "R3"]),
    ("grid", "G3", []),
    ("estate", "E1", ["W", "R1", "R2"]),
    ("estate", "E2", ["R3"]),
    ("building", "B1", ["W", "R1"]),
    ("building", "B2", ["R2"]),
    ("building", "B3", ["R3"]),
]


def test_residents_in_scope_are_exactly_the_people_living_there(store, known):
    for scope, key, people in RESIDENTS:
        found = run(store, app.residents_in_scope, scope, known[key], known["C"])
        assert found == {
            "scope": scope,
            "scope_id": known[key],
            "community_id": known["C"],
            "residents": sorted(known[p] for p in people),
        }, (scope, key)

    error = refused(
        store, InvalidInput, app.residents_in_scope, "community", known["C"], known["C"]
    )
    assert "scope" in error.fields


def test_principals_are_given_for_the_people_grid_knows_and_place_them(store, admin, known):
    """What volunteer asks to check the people named to it (a team's leader and members)."""
    asked = [known["R2"], known["L"], known["D"], "no-such-person", known["R2"]]
    found = run(store, app.principals, asked)
    assert sorted(found) == sorted([known["R2"], known["L"], known["D"]])  # nobody made up
    for key in ("R2", "L", "D"):
        assert found[known[key]] == run(store, app.principal, known[key])
    community, next_door = known["C"], run(store, app.principal, known["D"])["community_id"]
    # R2 lives here, L leads a grid here and lives nowhere, D lives next door
    belongs = {
        key: Principal(found[known[key]]).belongs_to_community(community)
        for key in "R2 L D".split()
    }
    assert belongs == {"R2": True, "L": True, "D": False}
    assert Principal(found[known["D"]]).belongs_to_community(next_door)
    assert run(store, app.principals, []) == {}
    for bad in ("no-list", [""], ["x" * 37], ["p"] * 101, [7]):
        error = refused(store, InvalidInput, app.principals, bad)
        assert list(error.fields) == ["person_ids"]


@pytest.mark.parametrize("scope", ["grid", "estate", "building"])
def test_a_scope_of_another_community_is_refused_like_one_that_does_not_exist(store, known, scope):
    """Votes stay inside the appeal's community: grid answers who lives in a scope only
    when it lies in the community asked about, and refuses a scope next door exactly as
    one that does not exist."""
    next_door = known[f"{scope[0].upper()}_next_door"]
    made_up = str(uuid.uuid4())
    elsewhere = refused(store, NotFound, app.residents_in_scope, scope, next_door, known["C"])
    unknown = refused(store, NotFound, app.residents_in_scope, scope, made_up, known["C"])
    assert elsewhere.fields == unknown.fields == {"scope_id": ["not in this community"]}
    assert str(elsewhere).replace(next_door, "?") == str(unknown).replace(made_up, "?")
    # in its own community the same scope answers, with D living there
    found = run(store, app.residents_in_scope, scope, next_door, known["C_next_door"])
    assert (found["community_id"], found["residents"]) == (known["C_next_door"], [known["D"]])


def test_coverage_counts_the_known_community(store, admin, known):
    now = datetime.now(UTC)
    for visitor, household, days in (
        ("W", "H1", 0),
        ("W", "H2", 2),
        ("W", "H2", 20),  # the same household twice counts once
        ("R1", "H3", 5),  # a party member of the community, in another grid
        ("L", "H4", 40),  # too long ago
    ):
        run(
            store,
            app.log_visit,
            known[visitor],
            {"household_id": known[household], "visited_at": iso(now - timedelta(days=days))},
        )
    run(store, app.log_visit, known["D"], {"household_id": known["D1"]})  # next door

    for person, building in (("R1", "B1"), ("R2", "B2"), ("R2", "B3")):
        grid = "G1" if building == "B1" else "G2"
        run(
            store,
            app.assign_grid_role,
            admin,
            known[grid],
            {"person_id": known[person], "role": "building_head", "building_id": known[building]},
        )

    stats = run(store, app.coverage, known["L"], known["C"])

    assert stats == {
        "community_id": known["C"],
        "estates": 2,
        "grids": 3,
        "grids_with_worker": 1,  # G2 has a leader, not a worker
        "buildings": 3,
        "buildings_with_head": 3,
        "households": 4,
        "shops": 1,
        "households_with_residents": 3,
        "residents": 4,  # L lives outside the community
        "party_members": 2,
        "households_visited_30d": 3,
        "visit_coverage_30d": 0.75,
    }
    refused(store, Forbidden, app.coverage, known["D"], known["C"])


def test_building_and_unit_heads_head_a_place_of_their_own_grid(store, admin, known):
    def assign(grid, person, **scope):
        return run(
            store, app.assign_grid_role, admin, known[grid], {"person_id": known[person], **scope}
        )

    head = assign("G2", "R2", role="building_head", building_id=known["B2"])
    assert head["building_id"] == known["B2"] and head["unit_id"] is None
    # one person may head two buildings of a grid
    assign("G2", "R2", role="building_head", building_id=known["B3"])
    with pytest.raises(Conflict):
        assign("G2", "R2", role="building_head", building_id=known["B3"])

    error = refused(
        store,
        InvalidInput,
        app.assign_grid_role,
        admin,
        known["G2"],
        {"person_id": known["R3"], "role": "building_head"},
    )
    assert list(error.fields) == ["building_id"]
    error = refused(
        store,
        InvalidInput,
        app.assign_grid_role,
        admin,
        known["G2"],
        {"person_id": known["R3"], "role": "building_head", "building_id": known["B1"]},
    )  # B1 lies in G1
    assert list(error.fields) == ["building_id"]
    error = refused(
        store,
        InvalidInput,
        app.assign_grid_role,
        admin,
        known["G2"],
        {"person_id": known["R3"], "role": "grid_worker", "unit_id": known["U2"]},
    )
    assert list(error.fields) == ["unit_id"]
    unit_head = assign("G2", "R3", role="unit_head", unit_id=known["U3"])
    assert unit_head["unit_id"] == known["U3"]

    staff = run(store, app.locate, known["H3"])["grid_staff"]
    assert sorted((s["role"], s["building_id"] or "", s["unit_id"] or "") for s in staff) == sorted(
        [
            ("building_head", known["B2"], ""),
            ("building_head", known["B3"], ""),
            ("grid_leader", "", ""),
            ("unit_head", "", known["U3"]),
        ]
    )

    # stepping down from building_head leaves both buildings
    run(store, app.revoke_grid_role, admin, known["G2"], known["R2"], "building_head")
    staff = run(store, app.locate, known["H3"])["grid_staff"]
    assert [s["role"] for s in staff] == ["grid_leader", "unit_head"]
