"""A resident finds the votes 有事来商量 they may take part in, through the gateway:
those of their grid, estate and building, newest opened first, with their own vote."""

from datetime import timedelta

import pytest
from api_client import build_community, next_phone

from yzw_kernel.types import utcnow

APPEAL = {"category": "parking", "title": "小区停车难", "description": "晚上车位不够，消防通道被占"}


def resident(suite, admin, household_id, name="居民"):
    phone = next_phone()
    admin.created(
        "/people",
        {"name": name, "phone": phone, "password": suite.password, "household_id": household_id},
    )
    return suite.anonymous().login(phone, suite.password)


def vote_on(scope, scope_id, question="东门空地改成停车位还是健身区？"):
    return {
        "question": question,
        "options": ["停车位", "健身区"],
        "scope": scope,
        "scope_id": scope_id,
        "closes_at": (utcnow() + timedelta(days=3)).isoformat(),
    }


def listed(api, query=""):
    response = api.get(f"/deliberations{query}")
    assert response.status_code == 200, response.text
    return response.json()


def ids_of(page):
    return [d["id"] for d in page["items"]]


def test_residents_find_the_votes_of_their_home_with_their_own_vote(suite):
    ids = build_community(suite, grids=2)
    admin = suite.admin()
    # alice and bob live in building 0 (grid 0), dave in building 1 (grid 1)
    alice = resident(suite, admin, ids["households"][0][0])
    bob = resident(suite, admin, ids["households"][0][1])
    dave = resident(suite, admin, ids["households"][1][0])
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    appeal = alice.created("/appeals", {**APPEAL, "household_id": ids["households"][0][0]})
    opening = f"/appeals/{appeal['id']}/deliberations"
    in_building = worker.created(opening, vote_on("building", ids["buildings"][0]))

    page = listed(alice)
    assert page == {"items": [page["items"][0]], "next_cursor": None}
    item = page["items"][0]
    assert item["id"] == in_building["id"] and item["my_vote"] is None
    assert item["appeal_id"] == appeal["id"] and item["appeal_title"] == APPEAL["title"]
    assert (item["status"], item["votes_cast"], item["counts"]) == ("open", 0, None)

    voted = alice.post(f"/deliberations/{in_building['id']}/votes", {"option": "健身区"})
    assert voted.status_code == 201, voted.text
    (mine,) = listed(alice)["items"]
    assert (mine["my_vote"], mine["votes_cast"]) == ("健身区", 1)
    assert mine == alice.get(f"/deliberations/{in_building['id']}").json()
    (bobs,) = listed(bob)["items"]  # his own vote, not alice's
    assert (bobs["id"], bobs["my_vote"], bobs["votes_cast"]) == (in_building["id"], None, 1)
    # dave's building is another one: not his vote, not his to find
    assert listed(dave) == {"items": [], "next_cursor": None}
    # the street admin has no home here: nothing to vote in
    assert listed(admin) == {"items": [], "next_cursor": None}

    assert ids_of(listed(alice, "?status=open")) == [in_building["id"]]
    assert listed(alice, "?status=closed") == {"items": [], "next_cursor": None}
    bogus = alice.get("/deliberations?status=bogus")
    assert bogus.status_code == 400 and list(bogus.json()["fields"]) == ["status"]
    too_many = alice.get("/deliberations?limit=101")
    assert too_many.status_code == 400 and list(too_many.json()["fields"]) == ["limit"]

    closed = worker.post(f"/deliberations/{in_building['id']}/close")
    assert closed.status_code == 200, closed.text
    assert listed(alice, "?status=open")["items"] == []
    (result,) = listed(alice, "?status=closed")["items"]
    assert result["counts"] == {"停车位": 0, "健身区": 1} and result["my_vote"] == "健身区"


@pytest.mark.both_backends  # the keyset over a join, on PostgreSQL too
def test_a_resident_pages_through_the_votes_of_grid_and_building_newest_first(suite):
    ids = build_community(suite, grids=2)
    admin = suite.admin()
    alice = resident(suite, admin, ids["households"][0][0])
    dave = resident(suite, admin, ids["households"][1][0])
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    appeal = alice.created("/appeals", {**APPEAL, "household_id": ids["households"][0][0]})
    opening = f"/appeals/{appeal['id']}/deliberations"
    older = worker.created(opening, vote_on("building", ids["buildings"][0]))
    newer = worker.created(opening, vote_on("grid", ids["grids"][0], question="装不装充电桩？"))

    first = listed(alice, "?limit=1")
    assert ids_of(first) == [newer["id"]] and first["next_cursor"]
    second = listed(alice, f"?limit=1&cursor={first['next_cursor']}")
    assert ids_of(second) == [older["id"]] and second["next_cursor"] is None
    assert ids_of(listed(alice)) == [newer["id"], older["id"]]
    # the estate holds both buildings, but these votes are of grid 0 and building 0
    assert listed(dave)["items"] == []
    bad = alice.get("/deliberations?cursor=not-ours")
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["cursor"]


def test_a_confidential_appeal_is_put_to_no_vote_so_its_title_reaches_no_voter(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    alice = resident(suite, admin, ids["households"][0][0])
    bob = resident(suite, admin, ids["households"][0][1])
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    secret = {**APPEAL, "household_id": ids["households"][0][0], "confidential": True}
    appeal = alice.created("/appeals", secret)
    refused = worker.post(
        f"/appeals/{appeal['id']}/deliberations", vote_on("grid", ids["grids"][0])
    )
    assert (refused.status_code, refused.json()["error"]) == (409, "conflict"), refused.text
    for api in (alice, bob, worker):
        assert listed(api)["items"] == []
