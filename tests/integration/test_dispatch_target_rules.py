"""Where an appeal may be dispatched, as its owners answer it, on SQLite and PostgreSQL:
grid for people, member organisations and the street's departments (and the department
registry itself), volunteer for teams. Appeals asks them before every dispatch; the
gateway tests (e2e/test_dispatch_targets.py) cover the wiring.

Street 1 has 海威社区 (C) and 少先社区 (N); street 2 has 兴康社区 (X)."""

import uuid

import pytest
from api_client import next_phone
from conftest import DEMO_PASSWORD, grid_store
from usecases import refused, run

from grid import app, targets
from grid.admin import create_street_admin
from volunteer import app as volunteer
from volunteer.models import Team
from volunteer.service import MIGRATIONS as VOLUNTEER_MIGRATIONS
from yzw_kernel.db import Store
from yzw_kernel.errors import Conflict, Forbidden, InvalidInput, NotFound

NOT_HERE = {"assignee_id": ["not in this community"]}


@pytest.fixture
def store(database_url):
    store = grid_store(database_url)
    try:
        yield store
    finally:
        store.dispose()


def street(store, name, phone):
    return create_street_admin(store, name, "街道管理员", phone, DEMO_PASSWORD)


def community(store, admin, name):
    """A community with one estate, grid, building, unit and two households."""
    with store.transaction() as tx:
        c = app.create_community(tx, admin, {"name": name})["id"]
        estate = app.create_estate(tx, admin, {"community_id": c, "name": "一区"})["id"]
        grid = app.create_grid(tx, admin, {"community_id": c, "name": "第1网格"})["id"]
        building = app.create_building(
            tx, admin, {"estate_id": estate, "grid_id": grid, "name": "1号楼"}
        )["id"]
        unit = app.create_unit(tx, admin, {"building_id": building, "name": "1单元"})["id"]
        homes = [
            app.create_household(tx, admin, {"unit_id": unit, "number": n})["id"]
            for n in ("101", "102")
        ]
    return {"id": c, "grid": grid, "homes": homes}


def person(store, admin, name, home=None, **extra):
    data = {"name": name, "phone": next_phone(), "password": DEMO_PASSWORD, "household_id": home}
    return run(store, app.register_person, admin, {**data, **extra})["id"]


@pytest.fixture
def world(store):
    s1, s2 = street(store, "昆都仑区", "13800000001"), street(store, "青山区", "13800000011")
    admin, admin_2 = s1["person_id"], s2["person_id"]
    c, n = community(store, admin, "海威社区"), community(store, admin, "少先社区")
    x = community(store, admin_2, "兴康社区")
    w = {"S1": s1["street_id"], "S2": s2["street_id"], "admin": admin, "admin_2": admin_2}
    w.update(C=c["id"], N=n["id"], X=x["id"])
    for key, where, home, extra in (
        ("W", c, 0, {}),  # C's grid worker
        ("R", c, 0, {}),  # a plain resident of C
        ("P", c, 1, {"party_member": True}),  # a party member living in C
        ("RP", c, 1, {"party_membership": "reporting", "employer": "包头供电局"}),
        ("L", None, None, {}),  # C's grid leader, living nowhere here
        ("CA", None, None, {}),  # C's community admin
        ("T", None, None, {}),  # C's treasurer
        ("NW", n, 0, {}),  # N's grid worker
        ("NR", n, 0, {}),
        ("NP", n, 1, {"party_member": True}),
        ("NA", None, None, {}),  # N's community admin
        ("XR", x, 0, {}),
    ):
        household = where["homes"][home] if where else None
        actor = admin_2 if where is x else admin
        w[key] = person(store, actor, key, household, **extra)
    for grid, key, role in (
        (c["grid"], "W", "grid_worker"),
        (c["grid"], "L", "grid_leader"),
        (n["grid"], "NW", "grid_worker"),
    ):
        run(store, app.assign_grid_role, admin, grid, {"person_id": w[key], "role": role})
    for community_id, key, role in (
        (c["id"], "CA", "community_admin"),
        (c["id"], "T", "treasurer"),
        (n["id"], "NA", "community_admin"),
    ):
        run(store, app.grant_admin_role, admin, community_id, {"person_id": w[key], "role": role})
    for key, community_id, actor in (("MC", c["id"], admin), ("MN", n["id"], admin)):
        org = {"community_id": community_id, "name": f"{key}物业", "kind": "property_company"}
        w[key] = run(store, app.create_member_org, actor, org)["id"]
    for key, street_id, actor in (("D1", w["S1"], admin), ("D2", w["S2"], admin_2)):
        w[key] = run(store, targets.register_department, actor, street_id, {"name": "城管科"})["id"]
    return w


# -- grid's answer -------------------------------------------------------------------

# Targets an appeal of 海威社区 (C) may be sent to: its grid staff (a grid role in one of
# its grids), its community admins and its street's admins, party members living there,
# its member organisations, its street's departments.
IN_C = [
    ("person", "W"),
    ("person", "L"),
    ("person", "CA"),
    ("person", "admin"),
    ("person", "P"),
    ("person", "RP"),
    ("member_org", "MC"),
    ("department", "D1"),
]
# Everything else: a resident who is neither staff nor party member, a treasurer, the
# people of the community next door and of another street, another community's
# member organisation, another street's department.
NOT_IN_C = [
    ("person", "R"),
    ("person", "T"),
    ("person", "NW"),
    ("person", "NR"),
    ("person", "NP"),
    ("person", "NA"),
    ("person", "XR"),
    ("person", "admin_2"),
    ("member_org", "MN"),
    ("member_org", "W"),  # an id of another kind
    ("department", "D2"),
    ("department", "MC"),
]


@pytest.mark.parametrize(("kind", "key"), IN_C)
def test_grid_confirms_a_target_of_the_appeals_community(store, world, kind, key):
    answer = run(store, targets.dispatch_target, kind, world[key], world["C"])
    assert answer == {
        "kind": kind,
        "id": world[key],
        "community_id": world["C"],
        "street_id": world["S1"],
        # the community's staff, to whom alone a confidential appeal goes
        "staff": key in ("W", "L", "CA", "admin"),
    }


def test_grid_refuses_every_other_target_like_one_that_does_not_exist(store, world):
    for kind, key in NOT_IN_C + [(kind, None) for kind in targets.DISPATCH_KINDS]:
        target = world[key] if key else str(uuid.uuid4())
        error = refused(store, NotFound, targets.dispatch_target, kind, target, world["C"])
        assert error.fields == NOT_HERE, (kind, key)
        assert str(error) == f"no {kind} {target} in this community", (kind, key)
    # the same targets do belong next door, and there they are confirmed
    for kind, key in (("person", "NW"), ("person", "NP"), ("member_org", "MN")):
        assert run(store, targets.dispatch_target, kind, world[key], world["N"])["id"] == world[key]
    assert run(store, targets.dispatch_target, "department", world["D2"], world["X"])
    # a kind grid does not keep, or none at all, is bad input
    for kind in ("volunteer_team", "robot"):
        error = refused(store, InvalidInput, targets.dispatch_target, kind, world["W"], world["C"])
        assert list(error.fields) == ["assignee_kind"]
    # an appeal of a community grid does not know has no targets at all
    refused(store, NotFound, targets.dispatch_target, "person", world["W"], str(uuid.uuid4()))


# -- the street's departments ----------------------------------------------------------


def test_only_the_streets_admin_registers_its_departments(store, world):
    body = {"name": "住建科"}
    for who in ("CA", "W", "R", "admin_2"):
        refused(store, Forbidden, targets.register_department, world[who], world["S1"], body)
    refused(store, NotFound, targets.register_department, world["admin"], "no-such-street", body)
    error = refused(
        store, InvalidInput, targets.register_department, world["admin"], world["S1"], {}
    )
    assert list(error.fields) == ["name"]

    made = run(store, targets.register_department, world["admin"], world["S1"], body)

    assert (made["street_id"], made["name"]) == (world["S1"], "住建科")
    refused(store, Conflict, targets.register_department, world["admin"], world["S1"], body)
    # another street may have a department of the same name
    assert run(store, targets.register_department, world["admin_2"], world["S2"], body)


def test_the_streets_departments_are_listed_to_the_staff_of_the_street(store, world):
    run(store, targets.register_department, world["admin"], world["S1"], {"name": "民政科"})
    expected = ["城管科", "民政科"]
    # the street's admin, a community admin, grid staff of both its communities
    for who in ("admin", "CA", "W", "L", "NW", "NA"):
        listed = run(store, targets.list_departments, world[who], world["S1"])
        assert sorted(d["name"] for d in listed) == expected, who
        assert {d["street_id"] for d in listed} == {world["S1"]}
    # residents, party members without a role, the other street's admin
    for who in ("R", "P", "admin_2"):
        refused(store, Forbidden, targets.list_departments, world[who], world["S1"])
    refused(store, Forbidden, targets.list_departments, world["admin"], world["S2"])
    refused(store, NotFound, targets.list_departments, world["admin"], "no-such-street")


# -- volunteer's answer for teams ------------------------------------------------------


def test_volunteer_confirms_only_a_team_of_the_appeals_community(databases):
    store = Store(databases("volunteer"), source="volunteer", migrations=VOLUNTEER_MIGRATIONS)
    store.migrate()
    try:
        teams = {}
        with store.transaction() as tx:  # as volunteer's create_team leaves them
            for community_id in ("community-c", "community-n"):
                team = Team(
                    community_id=community_id, name="平安灯巡逻队", focus="patrol", leader_id="l"
                )
                tx.session.add(team)
                tx.flush()
                teams[community_id] = team.id

        answer = run(store, volunteer.team_in_community, teams["community-c"], "community-c")

        assert answer == {
            "kind": "volunteer_team",
            "id": teams["community-c"],
            "community_id": "community-c",
        }
        made_up = str(uuid.uuid4())
        for team_id in (teams["community-n"], made_up, None):
            error = refused(store, NotFound, volunteer.team_in_community, team_id, "community-c")
            assert error.fields == NOT_HERE
            assert str(error) == f"no volunteer_team {team_id} in this community"
    finally:
        store.dispose()
