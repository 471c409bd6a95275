"""Who sees what of a confidential (是否保密) or anonymous appeal, in every view.

A confidential appeal's words are for its submitter, its handler and the staff of
its level. Others may know it exists (the grid's staff once it has gone up a level)
but read none of it, in the appeal, its list, its timeline, the statistics, the
dashboard, its votes, its project proposal and on the bus; party members neither
see it in the queues nor claim it. An anonymous appeal shows its place at building
level to everyone but its handler and its submitter.
"""

import json
from datetime import timedelta

import pytest
from api_client import build_community, next_phone
from sqlalchemy import select
from waiting import wait_until

from yzw_kernel.db import Store
from yzw_kernel.outbox import outbox_table
from yzw_kernel.types import utcnow

# each piece of the appeal's text, distinct, so that a leak anywhere is found
TITLE = "邻居家暴求助"
DESCRIPTION = "楼上每晚争吵打骂，孩子哭喊，请勿告知邻居是我反映的"
PHOTO = "https://photos.example.cn/confidential-evidence.jpg"
RESOLUTION = "已联系妇联上门调解"
COMMENT = "调解后仍有争吵"
REASON = "需社区妇联介入"
QUESTION = f"关于“{TITLE}”的处理方案"  # as the console words a vote's question
WORDS = (TITLE, DESCRIPTION, PHOTO, RESOLUTION, COMMENT, REASON)
TEXT_FIELDS = ("title", "description", "photo_urls", "resolution", "rating_comment")

CONFIDENTIAL = {
    "category": "dispute",
    "title": TITLE,
    "description": DESCRIPTION,
    "photo_urls": [PHOTO],
    "confidential": True,
}


def person(suite, admin, household_id, name, **extra):
    phone = next_phone()
    made = admin.created(
        "/people",
        {
            "name": name,
            "phone": phone,
            "password": suite.password,
            "household_id": household_id,
            **extra,
        },
    )
    return made["id"], suite.anonymous().login(phone, suite.password)


def grant(admin, path, body):
    response = admin.post(path, body)
    assert response.status_code == 201, response.text


def head_role(person_id, ids):
    """楼栋长 of grid 0's building."""
    return {"person_id": person_id, "role": "building_head", "building_id": ids["buildings"][0]}


def community_admin(suite, admin, ids, household_id):
    chair_id, chair = person(suite, admin, household_id, "社区书记")
    grant(
        admin,
        f"/communities/{ids['community']}/admins",
        {"person_id": chair_id, "role": "community_admin"},
    )
    return chair_id, chair


def ok(response):
    assert response.status_code in (200, 201), (response.status_code, response.text)
    return response.json()


def leaks(body):
    """The pieces of the appeal's text found anywhere in an answer."""
    text = json.dumps(body, ensure_ascii=False)
    return [word for word in WORDS if word in text]


def outbox(suite):
    """Every event appeals has put on the bus, read from its outbox."""
    store = Store(suite.database_urls["appeals"], source="appeals", migrations=None)
    try:
        with store.engine.connect() as connection:
            rows = connection.execute(
                select(outbox_table.c.event_type, outbox_table.c.payload)
            ).all()
    finally:
        store.dispose()
    return {"events": [{"type": kind, "data": json.loads(p)["data"]} for kind, p in rows]}


# -- the party member's queue ----------------------------------------------------------


def test_party_members_neither_see_nor_claim_a_confidential_appeal_in_the_queues(suite):
    """However a confidential appeal comes back to a queue — returned 退单, re-queued when
    its worker's role is revoked, dispatched to a team or a member organisation — the
    community's party members do not see it, nor its title or submitter, and cannot
    claim it; the grid's staff still can. A plain appeal stays theirs to take."""
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    grid, home = ids["grids"][0], ids["households"][0][0]
    alice_id, alice = person(suite, admin, home, "居民")
    member_id, member = person(suite, admin, ids["households"][0][1], "党员", party_member=True)
    head_id, head = person(suite, admin, ids["households"][0][1], "楼栋长")
    grant(admin, f"/grids/{grid}/roles", head_role(head_id, ids))
    _, chair = community_admin(suite, admin, ids, ids["households"][0][1])
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    team = ok(
        admin.post(
            "/teams",
            {
                "community_id": ids["community"],
                "name": "和事佬调解队",
                "focus": "assistance",
                "leader_id": ids["workers"][0],
            },
        )
    )
    org = ok(
        admin.post(
            "/member-orgs",
            {"community_id": ids["community"], "name": "海威物业", "kind": "property_company"},
        )
    )

    def raise_appeal(**extra):
        return alice.created("/appeals", {**CONFIDENTIAL, "household_id": home, **extra})["id"]

    returned, to_team, to_org, requeued = (raise_appeal() for _ in range(4))
    plain = raise_appeal(confidential=False, title="路灯不亮", description="东门路灯坏了")
    for appeal_id in (returned, plain):
        ok(worker.post(f"/appeals/{appeal_id}/claim"))
        ok(worker.post(f"/appeals/{appeal_id}/return", {"reason": "不在我的片区"}))
    ok(
        chair.post(
            f"/appeals/{to_team}/dispatch",
            {"assignee_kind": "volunteer_team", "assignee_id": team["id"]},
        )
    )
    ok(
        chair.post(
            f"/appeals/{to_org}/dispatch", {"assignee_kind": "member_org", "assignee_id": org["id"]}
        )
    )
    ok(worker.post(f"/appeals/{requeued}/claim"))
    revoked = admin.delete(f"/grids/{grid}/roles/{ids['workers'][0]}/grid_worker")
    assert revoked.status_code == 200, revoked.text
    wait_until(
        lambda: admin.get(f"/appeals/{requeued}").json()["status"] == "submitted",
        message="the revoked worker's appeal back in the grid's queue",
    )
    confidential = {returned, to_team, to_org, requeued}

    queue = ok(member.get("/appeals?claimable=true&limit=100"))
    assert [item["id"] for item in queue["items"]] == [plain]
    everything = ok(member.get("/appeals?limit=100"))
    assert not confidential & {item["id"] for item in everything["items"]}
    assert not leaks(queue) and not leaks(everything) and alice_id not in json.dumps(everything)
    for appeal_id in confidential:
        refused = member.post(f"/appeals/{appeal_id}/claim")
        assert refused.status_code == 404 and refused.json()["error"] == "not_found"
        assert member.get(f"/appeals/{appeal_id}").status_code == 404

    # the grid's staff take it on, and read it whole
    taken = ok(head.post(f"/appeals/{to_team}/claim"))
    assert (taken["status"], taken["handler_id"], taken["description"]) == (
        "claimed",
        head_id,
        DESCRIPTION,
    )
    # nor is it dispatched to a party member by name: only to the community's staff
    direct = chair.post(
        f"/appeals/{returned}/dispatch", {"assignee_kind": "person", "assignee_id": member_id}
    )
    assert direct.status_code == 400, direct.text
    assert list(direct.json()["fields"]) == ["assignee_id"]
    assert member.get(f"/appeals/{returned}").status_code == 404
    assert ok(chair.get(f"/appeals/{returned}"))["status"] == "submitted"
    to_head = {"assignee_kind": "person", "assignee_id": head_id}
    assert ok(chair.post(f"/appeals/{returned}/dispatch", to_head))["assignee"]["id"] == head_id
    # a party member takes a plain appeal from the queue (党员接单), as before
    assert ok(member.post(f"/appeals/{plain}/claim"))["handler_id"] == member_id


# -- every view of a confidential appeal ---------------------------------------------


def confidential_world(suite):
    """A confidential appeal with every kind of text — resolved, rated low (重办),
    escalated to the community — with a project proposal on it; a vote on it is refused.

    `outsider`: a building head of the appeal's grid, who lives there. The grid's staff
    see the appeal even above the grid, but only the staff of its level read it."""
    ids = build_community(suite, grids=2)
    admin = suite.admin()
    grid, home = ids["grids"][0], ids["households"][0][0]
    alice_id, alice = person(suite, admin, home, "居民")
    head_id, head = person(suite, admin, ids["households"][0][1], "楼栋长")
    grant(admin, f"/grids/{grid}/roles", head_role(head_id, ids))
    _, chair = community_admin(suite, admin, ids, ids["households"][1][0])
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)

    appeal = alice.created("/appeals", {**CONFIDENTIAL, "household_id": home})
    path = f"/appeals/{appeal['id']}"
    ok(worker.post(f"{path}/claim"))
    ok(worker.post(f"{path}/resolve", {"resolution": RESOLUTION}))
    ok(alice.post(f"{path}/rate", {"score": 2, "comment": COMMENT}))
    # the handler, while it is theirs, reads every word
    handled = ok(worker.get(path))
    assert [handled[f] for f in TEXT_FIELDS] == [TITLE, DESCRIPTION, [PHOTO], RESOLUTION, COMMENT]
    ok(worker.post(f"{path}/escalate", {"reason": REASON}))
    # its words are for its handlers: it is not put to a vote, where all would read them
    refused = chair.post(
        f"{path}/deliberations",
        {
            "question": QUESTION,
            "options": ["同意", "不同意"],
            "scope": "grid",
            "scope_id": grid,
            "closes_at": (utcnow() + timedelta(days=3)).isoformat(),
        },
    )
    assert (refused.status_code, refused.json()["error"]) == (409, "conflict"), refused.text
    assert ok(head.get("/deliberations?limit=100"))["items"] == []
    proposal = chair.created(
        "/project-proposals",
        {
            "title": "楼栋调解室",
            "appeal_ids": [appeal["id"]],
            "estimated_cost_fen": 500_000,
            "beneficiaries": 40,
        },
    )
    ok(chair.post(f"{path}/claim"))  # the community's admin takes it on: its handler now
    return {
        "ids": ids,
        "appeal": appeal["id"],
        "proposal": proposal["id"],
        "submitter_id": alice_id,
        "apis": {"submitter": alice, "handler": chair, "outsider": head},
    }


def _find(items, key, value):
    (found,) = [item for item in items if item[key] == value]
    return found


def single(suite, world, api):
    return ok(api.get(f"/appeals/{world['appeal']}"))


def listed(suite, world, api):
    return _find(ok(api.get("/appeals?limit=100"))["items"], "id", world["appeal"])


def timeline(suite, world, api):
    return ok(api.get(f"/appeals/{world['appeal']}"))["timeline"]


def stats(suite, world, api):
    return ok(api.get(f"/stats/appeals?community_id={world['ids']['community']}"))


def dashboard(suite, world, api):
    return ok(api.get(f"/communities/{world['ids']['community']}/dashboard"))


def proposal(suite, world, api):
    return ok(api.get(f"/project-proposals/{world['proposal']}"))


def bus(suite, world, api):
    return outbox(suite)


def whole(body):
    return [body[f] for f in TEXT_FIELDS] == [TITLE, DESCRIPTION, [PHOTO], RESOLUTION, COMMENT]


def nothing_of_it(body, world):
    return [body[f] for f in (*TEXT_FIELDS, "submitter_id", "household_id")] == [None] * 7


def whole_timeline(steps):
    notes = " ".join(step["note"] or "" for step in steps)
    return all(word in notes for word in (RESOLUTION, COMMENT, REASON))


def no_notes_nor_submitter(steps, world):
    actors = {step["actor_id"] for step in steps}
    return all(step["note"] is None for step in steps) and world["submitter_id"] not in actors


def titled(body):
    return body["title"] == TITLE


# view: (how it is read; what the outsider gets, besides no word of the text anywhere;
# what each reader gets). Statistics and the dashboard are counts: they must stay so.
VIEWS = {
    "single": (single, nothing_of_it, {"submitter": whole, "handler": whole}),
    "list": (
        listed,
        lambda body, world: (body["title"], body["confidential"]) == (None, True),
        {"submitter": titled, "handler": titled},
    ),
    "timeline": (
        timeline,
        no_notes_nor_submitter,
        {"submitter": whole_timeline, "handler": whole_timeline},
    ),
    "stats": (stats, lambda body, world: body["total"] == 1, {}),
    "dashboard": (dashboard, lambda body, world: body["appeals"]["total"] == 1, {}),
    "proposal": (
        proposal,
        lambda body, world: body["appeal_ids"] == [world["appeal"]],
        {"handler": lambda body: body["title"] == "楼栋调解室"},
    ),
    "bus": (
        bus,
        lambda body, world: "appeal_escalated" in {e["type"] for e in body["events"]},
        {},
    ),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_a_confidential_appeals_words_reach_no_one_else_in_any_view(suite, view):
    world = confidential_world(suite)
    read, outsider_gets, readers_get = VIEWS[view]

    seen = read(suite, world, world["apis"]["outsider"])
    assert leaks(seen) == [] and outsider_gets(seen, world), seen
    for reader, reads_it_all in readers_get.items():
        body = read(suite, world, world["apis"][reader])
        assert reads_it_all(body), (reader, body)


# -- an anonymous appeal's place ---------------------------------------------------------


def test_an_anonymous_appeal_shows_its_building_to_all_but_its_handler(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    home, building = ids["households"][0][0], ids["buildings"][0]
    alice_id, alice = person(suite, admin, home, "居民")
    _, chair = community_admin(suite, admin, ids, ids["households"][0][1])
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    appeal = alice.created(
        "/appeals",
        {
            "category": "dispute",
            "title": "噪音扰民",
            "description": "楼下装修",
            "household_id": home,
            "anonymous": True,
        },
    )
    path = f"/appeals/{appeal['id']}"
    mine = alice.get(path).json()
    assert (mine["household_id"], mine["building_id"], mine["submitter_id"]) == (
        home,
        building,
        alice_id,
    )

    # the grid worker it was routed to, before taking it on, and the community's admin
    for staff in (worker, chair):
        body = ok(staff.get(path))
        assert (body["household_id"], body["building_id"], body["submitter_id"]) == (
            None,
            building,
            None,
        )
        assert alice_id not in json.dumps(body) and home not in json.dumps(body)
        listing = ok(staff.get("/appeals?limit=100"))
        assert home not in json.dumps(listing) and alice_id not in json.dumps(listing)

    # once the worker takes it on, the household is theirs to visit; still not who raised it
    taken = ok(worker.post(f"{path}/claim"))
    assert (taken["household_id"], taken["building_id"], taken["submitter_id"]) == (
        home,
        building,
        None,
    )
    assert ok(chair.get(path))["household_id"] is None
    # nor does the bus hear who raised it, when they raise it or rate it
    ok(worker.post(f"{path}/resolve", {"resolution": "已协调施工时间"}))
    ok(alice.post(f"{path}/rate", {"score": 5}))
    assert alice_id not in json.dumps(outbox(suite)) and home not in json.dumps(outbox(suite))

    # an appeal that is not anonymous shows its household to the grid's staff as before
    named = alice.created(
        "/appeals",
        {"category": "daily", "title": "路灯不亮", "description": "东门", "household_id": home},
    )
    seen = ok(chair.get(f"/appeals/{named['id']}"))
    assert (seen["household_id"], seen["building_id"], seen["submitter_id"]) == (
        home,
        building,
        alice_id,
    )
