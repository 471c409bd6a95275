"""Grid routes of the gateway not covered elsewhere: party organisation, member
organisations and the duty roster, visits, coverage, role changes, and the
OpenAPI document, end to end over real RabbitMQ and a real database."""

from datetime import UTC, datetime, timedelta

import pytest
from api_client import Api, build_community, next_phone
from conftest import start_gateway
from openapi_spec_validator import validate

from gateway.http import ROUTES


def register(api, password, household_id=None, name="居民", **extra):
    phone = next_phone()
    body = {"name": name, "phone": phone, "password": password, **extra}
    if household_id:
        body["household_id"] = household_id
    return api.created("/people", body), phone


def test_party_org_routes_build_the_tree_and_refuse_what_breaks_it(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    member, _ = register(admin, suite.password, ids["households"][0][0], party_member=True)
    org = {"community_id": ids["community"]}

    committee = admin.created(
        "/party-orgs", {**org, "kind": "community_committee", "name": "海威社区党委"}
    )
    branch = admin.created(
        "/party-orgs",
        {
            **org,
            "kind": "grid_branch",
            "name": "第1网格党支部",
            "parent_id": committee["id"],
            "grid_id": ids["grids"][0],
        },
    )
    joined = admin.created(
        f"/party-orgs/{branch['id']}/members", {"person_id": member["id"], "role": "secretary"}
    )
    assert joined == {"org_id": branch["id"], "person_id": member["id"], "role": "secretary"}

    tree = admin.get(f"/communities/{ids['community']}/party-orgs")
    assert tree.status_code == 200, tree.text
    (root,) = tree.json()
    assert (root["id"], root["kind"], root["parent_id"]) == (
        committee["id"],
        "community_committee",
        None,
    )
    (child,) = root["children"]
    assert (child["id"], child["grid_id"], child["children"]) == (branch["id"], ids["grids"][0], [])
    assert child["members"] == [{"person_id": member["id"], "name": "居民", "role": "secretary"}]

    misplaced = admin.post(
        "/party-orgs",
        {**org, "kind": "building_group", "name": "错位党小组", "parent_id": committee["id"]},
    )
    assert misplaced.status_code == 400
    assert "parent_id" in misplaced.json()["fields"]
    second = admin.post("/party-orgs", {**org, "kind": "community_committee", "name": "第二党委"})
    assert second.status_code == 409
    assert second.json()["error"] == "conflict"


def test_member_orgs_and_the_duty_roster_over_http(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    orgs = [
        admin.created(
            "/member-orgs",
            {"community_id": ids["community"], "name": f"共建单位{n}", "kind": "enterprise"},
        )["id"]
        for n in range(1, 7)
    ]
    path = f"/communities/{ids['community']}/duty-roster"

    put = admin.put(f"{path}/2026", {"member_org_ids": orgs})

    assert put.status_code == 200, put.text
    slots = put.json()["slots"]
    assert [(s["slot"], s["months"], s["member_org_id"]) for s in slots] == [
        (n, [2 * n - 1, 2 * n], org) for n, org in enumerate(orgs, start=1)
    ]
    got = admin.get(f"{path}/2026")
    assert got.status_code == 200 and got.json() == put.json()

    five = admin.put(f"{path}/2026", {"member_org_ids": orgs[:5]})
    assert five.status_code == 400
    assert "member_org_ids" in five.json()["fields"]
    for year in ("next", "1999"):
        bad_year = admin.get(f"{path}/{year}")
        assert bad_year.status_code == 400, year
        assert "year" in bad_year.json()["fields"]
    assert admin.get(f"{path}/2026").json() == put.json()


def test_visits_are_logged_listed_and_counted_in_coverage(suite):
    ids = build_community(suite, grids=2)
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    household = ids["households"][0][0]
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()

    older = worker.created(
        "/visits", {"household_id": household, "notes": "了解老人情况", "visited_at": yesterday}
    )
    newer = worker.created("/visits", {"household_id": household, "notes": "回访"})
    assert newer["visitor_id"] == ids["workers"][0]

    listed = worker.get(f"/households/{household}/visits")
    assert listed.status_code == 200, listed.text
    assert [v["id"] for v in listed.json()["items"]] == [newer["id"], older["id"]]
    assert listed.json()["items"][1]["notes"] == "了解老人情况"
    assert listed.json()["next_cursor"] is None

    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    ahead = worker.post("/visits", {"household_id": household, "visited_at": future})
    assert ahead.status_code == 400
    assert "visited_at" in ahead.json()["fields"]
    other_worker = suite.anonymous().login(ids["worker_phones"][1], suite.password)
    assert other_worker.get(f"/households/{household}/visits").status_code == 403
    assert other_worker.post("/visits", {"household_id": household}).status_code == 403

    admin = suite.admin()
    grids = admin.get(f"/communities/{ids['community']}/grids")
    assert grids.status_code == 200, grids.text
    assert grids.json() == [
        {"id": ids["grids"][0], "name": "第1网格", "community_id": ids["community"]},
        {"id": ids["grids"][1], "name": "第2网格", "community_id": ids["community"]},
    ]
    coverage = admin.get(f"/communities/{ids['community']}/coverage")
    assert coverage.status_code == 200, coverage.text
    assert coverage.json() == {
        "community_id": ids["community"],
        "estates": 1,
        "grids": 2,
        "grids_with_worker": 2,
        "buildings": 2,
        "buildings_with_head": 0,
        "households": 4,
        "shops": 0,
        "households_with_residents": 2,  # each worker lives in their grid
        "residents": 2,
        "party_members": 0,
        "households_visited_30d": 1,
        "visit_coverage_30d": 0.25,
    }


def test_revoking_a_role_and_granting_a_treasurer(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    grid, worker = ids["grids"][0], ids["workers"][0]

    revoked = admin.delete(f"/grids/{grid}/roles/{worker}/grid_worker")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json() == {"grid_id": grid, "person_id": worker, "role": "grid_worker"}
    again = admin.delete(f"/grids/{grid}/roles/{worker}/grid_worker")
    assert again.status_code == 404
    assert again.json()["error"] == "not_found"
    staff = admin.get(f"/households/{ids['households'][0][0]}/locate").json()["grid_staff"]
    assert staff == []

    person, phone = register(admin, suite.password, ids["households"][0][0], name="会计")
    granted = admin.post(
        f"/communities/{ids['community']}/admins", {"person_id": person["id"], "role": "treasurer"}
    )
    assert granted.status_code == 201, granted.text
    assert granted.json() == {
        "person_id": person["id"],
        "role": "treasurer",
        "community_id": ids["community"],
        "street_id": None,
    }
    me = suite.anonymous().login(phone, suite.password).get("/me")
    assert me.status_code == 200, me.text
    assert "treasurer" in me.json()["roles"]
    twice = admin.post(
        f"/communities/{ids['community']}/admins", {"person_id": person["id"], "role": "treasurer"}
    )
    assert twice.status_code == 409


@pytest.fixture
def gateway_only(container_factory, test_config):
    """The gateway alone: enough for routes that need no service."""
    _, base_url = start_gateway(container_factory, test_config)
    return Api(base_url)


def test_the_openapi_document_is_valid_openapi_3_with_every_route(gateway_only):
    response = gateway_only.get("/openapi.json")

    assert response.status_code == 200, response.text
    document = response.json()
    assert document["openapi"].startswith("3.")
    validate(document)  # raises on an invalid document
    served = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert {(r.method.lower(), r.path) for r in ROUTES} <= served
