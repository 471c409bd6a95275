"""What a fund's staff read through the gateway: its in-kind gifts, newest first,
a page at a time, for the community's staff alone."""

import uuid

from api_client import build_community, next_phone

CONES = {
    "description": "交通锥",
    "quantity": 300,
    "valuation_fen": 300_000,
    "donor_name": "海威物业",
    "show_name": True,
}
RICE = {"description": "大米", "quantity": 20, "valuation_fen": 60_000}  # anonymous


def community_with_staff(suite):
    """A community with its admin, its treasurer and a resident holding no role, each
    logged in."""
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    people = {}
    for name, role in (("社区书记", "community_admin"), ("出纳", "treasurer"), ("居民", None)):
        phone = next_phone()
        made = admin.created(
            "/people",
            {
                "name": name,
                "phone": phone,
                "password": suite.password,
                "household_id": ids["households"][0][0],
            },
        )
        if role:
            granted = admin.post(
                f"/communities/{ids['community']}/admins", {"person_id": made["id"], "role": role}
            )
            assert granted.status_code == 201, granted.text
        people[role or "resident"] = suite.anonymous().login(phone, suite.password)
    return ids, people


def test_a_funds_in_kind_gifts_newest_first_by_cursor_for_its_staff(suite):
    ids, people = community_with_staff(suite)
    fund = people["community_admin"].created(
        "/funds", {"name": "共建实践金", "community_id": ids["community"]}
    )
    treasurer = people["treasurer"]
    path = f"/funds/{fund['id']}/in-kind"
    cones = treasurer.created(path, CONES)
    rice = treasurer.created(path, RICE)

    listed = treasurer.get(path)

    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["next_cursor"] is None
    assert page["items"] == [rice, cones]  # newest first, as each was recorded
    assert page["items"][1] == {
        "id": cones["id"],
        "fund_id": fund["id"],
        "description": "交通锥",
        "quantity": 300,
        "valuation_fen": 300_000,
        "donor_kind": "person",
        "donor_name": "海威物业",
        "project_id": None,
        "received_at": cones["received_at"],
    }
    assert (rice["donor_kind"], rice["donor_name"]) == ("anonymous", None)

    first = treasurer.get(f"{path}?limit=1").json()
    assert [g["id"] for g in first["items"]] == [rice["id"]]
    assert first["next_cursor"]
    second = treasurer.get(f"{path}?limit=1&cursor={first['next_cursor']}").json()
    assert second == {"items": [cones], "next_cursor": None}

    # the community's staff read it: its admin too, and a grid worker of the community
    assert people["community_admin"].get(path).json()["items"] == [rice, cones]
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    assert worker.get(path).status_code == 200

    refused = people["resident"].get(path)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert suite.anonymous().get(path).status_code == 401
    unknown = treasurer.get(f"/funds/{uuid.uuid4()}/in-kind")
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    bad_cursor = treasurer.get(f"{path}?cursor=not-ours")
    assert bad_cursor.status_code == 400 and "cursor" in bad_cursor.json()["fields"]
    assert treasurer.get(f"{path}?limit=101").status_code == 400
