"""Where an appeal may go, through the gateway: dispatch targets and vote scopes stay
inside the appeal's community, and the street's department registry.

Two communities on one street, 海威社区 (A) and 兴康社区 (B), each with a grid, its
worker, a plain resident, a party member, a volunteer team and a member organisation;
a department of the street; and a department of another street."""

import uuid
from datetime import timedelta

from api_client import build_community, next_phone
from conftest import grid_store
from sqlalchemy import func, select

from grid.admin import create_street_admin
from yzw_kernel.db import Store
from yzw_kernel.outbox import outbox_table
from yzw_kernel.types import utcnow

OTHER_STREET_ADMIN = "13800000011"
NOT_HERE = {"assignee_id": ["not in this community"]}
APPEAL = {
    "category": "dispute",
    "title": "楼上漏水",
    "description": "302 住户家里漏水到我家，多次协商无果",
    "confidential": True,
}


def register(suite, admin, household_id=None, **extra):
    phone = next_phone()
    body = {"name": "居民", "phone": phone, "password": suite.password, **extra}
    if household_id:
        body["household_id"] = household_id
    person = admin.created("/people", body)
    return person["id"], suite.anonymous().login(phone, suite.password)


def community(suite, admin, name):
    ids = build_community(suite, grids=1, name=name)
    home = ids["households"][0][0]
    people = {
        "worker": (
            ids["workers"][0],
            suite.anonymous().login(ids["worker_phones"][0], suite.password),
        ),
        "resident": register(suite, admin, home),
        "party_member": register(suite, admin, home, party_member=True),
    }
    team = admin.created(
        "/teams",
        {
            "community_id": ids["community"],
            "name": "平安灯巡逻队",
            "focus": "patrol",
            "leader_id": people["resident"][0],
        },
    )
    org = admin.created(
        "/member-orgs",
        {"community_id": ids["community"], "name": "物业公司", "kind": "property_company"},
    )
    return {
        **ids,
        "ids": {who: person_id for who, (person_id, _) in people.items()},
        "api": {who: api for who, (_, api) in people.items()},
        "team": team["id"],
        "org": org["id"],
    }


def another_street(suite):
    """A second street with its own admin, as `make run`'s admin command would make it."""
    store = grid_store(suite.database_url)
    try:
        made = create_street_admin(
            store, "青山区", "街道管理员二", OTHER_STREET_ADMIN, suite.password
        )
    finally:
        store.dispose()
    return made["street_id"], suite.anonymous().login(OTHER_STREET_ADMIN, suite.password)


def world(suite):
    admin = suite.admin()
    a, b = community(suite, admin, "海威社区"), community(suite, admin, "兴康社区")
    department = admin.created(f"/streets/{suite.street_id}/departments", {"name": "城管科"})
    street_2, admin_2 = another_street(suite)
    elsewhere = admin_2.created(f"/streets/{street_2}/departments", {"name": "城管科"})
    return admin, a, b, department["id"], elsewhere["id"]


def appeals_events(suite, event_type):
    store = Store(suite.database_urls["appeals"], source="appeals", migrations=None)
    try:
        with store.engine.connect() as connection:
            return connection.scalar(
                select(func.count())
                .select_from(outbox_table)
                .where(outbox_table.c.event_type == event_type)
            )
    finally:
        store.dispose()


def dispatch(api, appeal_id, kind, target_id):
    return api.post(
        f"/appeals/{appeal_id}/dispatch", {"assignee_kind": kind, "assignee_id": target_id}
    )


def test_dispatch_outside_the_appeals_community_is_refused_and_changes_nothing(suite):
    admin, a, b, _, other_streets = world(suite)
    alice, worker = a["api"]["resident"], a["api"]["worker"]
    appeal = alice.created("/appeals", {**APPEAL, "household_id": a["households"][0][0]})
    before = worker.get(f"/appeals/{appeal['id']}").json()
    dispatched = appeals_events(suite, "appeal_dispatched")
    elsewhere = [
        ("person", b["ids"]["resident"]),
        ("person", b["ids"]["party_member"]),
        ("person", b["ids"]["worker"]),
        ("volunteer_team", b["team"]),
        ("member_org", b["org"]),
        ("department", other_streets),
        # a resident of A who is neither its staff nor a party member
        ("person", a["ids"]["resident"]),
        # A's own objects, named as another kind
        ("member_org", a["team"]),
        ("department", a["org"]),
    ]
    made_up = [
        (kind, str(uuid.uuid4()))
        for kind in ("person", "volunteer_team", "member_org", "department")
    ]

    failures = []
    for kind, target in elsewhere + made_up:
        response = dispatch(worker, appeal["id"], kind, target)
        body = response.json()
        # the same answer whether the target exists elsewhere or nowhere
        expected = {
            "error": "not_found",
            "message": f"no {kind} {target} in this community",
            "fields": NOT_HERE,
        }
        if (response.status_code, body) != (404, expected):
            failures.append(f"{kind} {target}: {response.status_code} {body}")
    assert not failures, "\n".join(failures)

    for body, field in (
        ({"assignee_kind": "robot", "assignee_id": b["ids"]["worker"]}, "assignee_kind"),
        ({"assignee_kind": "person"}, "assignee_id"),
    ):
        response = worker.post(f"/appeals/{appeal['id']}/dispatch", body)
        assert response.status_code == 400 and list(response.json()["fields"]) == [field]
    # nothing changed: the same appeal, the same timeline, no event
    assert worker.get(f"/appeals/{appeal['id']}").json() == before
    assert appeals_events(suite, "appeal_dispatched") == dispatched
    # and B's people never got to it
    for who in ("resident", "party_member", "worker"):
        api = b["api"][who]
        assert api.get(f"/appeals/{appeal['id']}").status_code == 404, who
        assert api.post(f"/appeals/{appeal['id']}/claim").status_code == 404, who


def test_each_kind_of_target_of_the_appeals_own_community_still_works(suite):
    admin, a, b, department, other_streets = world(suite)
    alice, worker = a["api"]["resident"], a["api"]["worker"]
    plain = {**APPEAL, "confidential": False, "household_id": a["households"][0][0]}
    appeal = alice.created("/appeals", plain)["id"]
    dispatched = appeals_events(suite, "appeal_dispatched")
    admin_id = admin.get("/me").json()["person"]["id"]
    for kind, target in (
        ("volunteer_team", a["team"]),
        ("member_org", a["org"]),
        ("department", department),
        ("person", admin_id),  # the street's admin administers A
        ("person", a["ids"]["party_member"]),
    ):
        response = dispatch(worker, appeal, kind, target)
        assert response.status_code == 200, (kind, response.text)
        assert response.json()["assignee"] == {"kind": kind, "id": target}
    assert appeals_events(suite, "appeal_dispatched") == dispatched + 5
    # the party member it went to takes it on
    claimed = a["api"]["party_member"].post(f"/appeals/{appeal}/claim")
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["handler_id"] == a["ids"]["party_member"]

    # escalated to the departments, the street's admin sends it to the street's own
    # department, and to no other street's
    second = alice.created("/appeals", plain)["id"]
    worker.post(f"/appeals/{second}/escalate", {"reason": "超出网格职责"})
    for _ in range(2):
        admin.post(f"/appeals/{second}/escalate", {"reason": "需要部门处理"})
    assert admin.get(f"/appeals/{second}").json()["level"] == "department"
    refused = dispatch(admin, second, "department", other_streets)
    assert refused.status_code == 404 and refused.json()["fields"] == NOT_HERE
    sent = dispatch(admin, second, "department", department)
    assert sent.status_code == 200, sent.text
    assert sent.json()["assignee"] == {"kind": "department", "id": department}


def vote_on(scope, scope_id):
    return {
        "question": "楼道要不要装监控？",
        "options": ["装", "不装"],
        "scope": scope,
        "scope_id": scope_id,
        "closes_at": (utcnow() + timedelta(days=3)).isoformat(),
    }


def test_a_vote_scope_outside_the_appeals_community_is_refused_and_nothing_opens(suite):
    _, a, b, _, _ = world(suite)
    alice, worker = a["api"]["resident"], a["api"]["worker"]
    plain = {**APPEAL, "confidential": False, "household_id": a["households"][0][0]}
    appeal = alice.created("/appeals", plain)["id"]  # a confidential one is put to no vote
    opening = f"/appeals/{appeal}/deliberations"
    scopes = [
        ("grid", b["grids"][0]),
        ("estate", b["estate"]),
        ("building", b["buildings"][0]),
        ("grid", str(uuid.uuid4())),
    ]
    for scope, scope_id in scopes:
        response = worker.post(opening, vote_on(scope, scope_id))
        assert response.status_code == 404, (scope, response.text)
        assert response.json() == {
            "error": "not_found",
            "message": f"no {scope} {scope_id} in this community",
            "fields": {"scope_id": ["not in this community"]},
        }
    timeline = worker.get(f"/appeals/{appeal}").json()["timeline"]
    assert "deliberation_opened" not in [t["action"] for t in timeline]
    for who in ("resident", "party_member", "worker"):  # B's people have no vote to find
        assert b["api"][who].get("/deliberations").json() == {"items": [], "next_cursor": None}

    # inside A the same opening works, counting A's residents only
    opened = worker.created(opening, vote_on("grid", a["grids"][0]))
    assert opened["eligible"] == 3  # A's worker, resident and party member
    (listed,) = alice.get("/deliberations").json()["items"]
    assert listed["id"] == opened["id"]


def test_the_streets_admin_registers_departments_and_its_staff_list_them(suite):
    admin, a, b, department, _ = world(suite)
    path = f"/streets/{suite.street_id}/departments"
    _, community_admin = register(suite, admin)
    role = {
        "person_id": community_admin.get("/me").json()["person"]["id"],
        "role": "community_admin",
    }
    assert admin.post(f"/communities/{a['community']}/admins", role).status_code == 201
    _, admin_2 = another_street(suite)

    for who, api in (
        ("community admin", community_admin),
        ("grid worker", a["api"]["worker"]),
        ("resident", a["api"]["resident"]),
        ("another street's admin", admin_2),
    ):
        response = api.post(path, {"name": "住建科"})
        assert (response.status_code, response.json()["error"]) == (403, "forbidden"), who
    assert admin.post(path, {"name": "城管科"}).status_code == 409
    assert admin.post(path, {"name": ""}).status_code == 400
    assert admin.post(f"/streets/{uuid.uuid4()}/departments", {"name": "住建科"}).status_code == 404
    made = admin.created(path, {"name": "住建科"})
    assert (made["street_id"], made["name"]) == (suite.street_id, "住建科")

    names = ["住建科", "城管科"]
    for api in (admin, community_admin, a["api"]["worker"], b["api"]["worker"]):
        listed = api.get(path)
        assert listed.status_code == 200, listed.text
        assert sorted(d["name"] for d in listed.json()) == sorted(names)
        assert department in {d["id"] for d in listed.json()}
    for api in (a["api"]["resident"], b["api"]["party_member"], admin_2):
        assert api.get(path).status_code == 403
