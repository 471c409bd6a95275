"""The grid's reads for the web console, end to end: where I work (`/me`), a
community's place tree, a unit's households, its member organisations and the
people finder, each with who may read it and how phones are masked."""

from urllib.parse import urlencode

import pytest
from api_client import build_community, next_phone

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def masked(phone):
    return phone[:3] + "****" + phone[-4:]


def register(suite, api, name, household_id=None, **extra):
    """A person registered by `api`, and their logged-in client."""
    phone = next_phone()
    body = {"name": name, "phone": phone, "password": suite.password, **extra}
    if household_id:
        body["household_id"] = household_id
    person = api.created("/people", body)
    return {**person, "phone": phone}, suite.anonymous().login(phone, suite.password)


def build_world(suite):
    """海威社区 from `build_community` (two grids, a worker living in each), a party
    member resident of grid 1, a community admin living in grid 1 who is also red
    steward of grid 2; and 兴康社区 of the same street with a community admin and a
    treasurer, neither living anywhere."""
    ids = build_community(suite, grids=2)
    street_admin = suite.admin()
    community, grid2 = ids["community"], ids["grids"][1]
    world = {"ids": ids, "street_admin": street_admin}
    world["resident"], world["resident_api"] = register(
        suite, street_admin, "居民甲", ids["households"][0][0], party_member=True
    )
    world["admin"], world["admin_api"] = register(
        suite, street_admin, "社区书记", ids["households"][0][0]
    )
    granted = street_admin.post(
        f"/communities/{community}/admins",
        {"person_id": world["admin"]["id"], "role": "community_admin"},
    )
    assert granted.status_code == 201, granted.text
    steward = street_admin.post(
        f"/grids/{grid2}/roles", {"person_id": world["admin"]["id"], "role": "red_steward"}
    )
    assert steward.status_code == 201, steward.text
    world["workers"] = [
        suite.anonymous().login(phone, suite.password) for phone in ids["worker_phones"]
    ]
    world["worker_phones"] = ids["worker_phones"]

    other = street_admin.created("/communities", {"name": "兴康社区"})["id"]
    world["other_community"] = other
    for key, role, name in (
        ("other_admin", "community_admin", "兴康书记"),
        ("other_treasurer", "treasurer", "兴康居民出纳"),
    ):
        world[key], world[f"{key}_api"] = register(suite, street_admin, name)
        made = street_admin.post(
            f"/communities/{other}/admins", {"person_id": world[key]["id"], "role": role}
        )
        assert made.status_code == 201, made.text
    return world


def refused(response, status, code):
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    return response.json()


# -- GET /me: where I work ---------------------------------------------------------


def test_me_lists_the_communities_and_grids_where_each_person_works(suite):
    world = build_world(suite)
    ids = world["ids"]
    community, (grid1, grid2) = ids["community"], ids["grids"]
    head = world["street_admin"].post(
        f"/grids/{grid1}/roles",
        {
            "person_id": ids["workers"][0],
            "role": "building_head",
            "building_id": ids["buildings"][0],
        },
    )
    assert head.status_code == 201, head.text

    def me(api):
        response = api.get("/me")
        assert response.status_code == 200, response.text
        return response.json()

    # the street admin works in every community of the street, as street admin
    street_admin = me(world["street_admin"])
    assert street_admin["communities"] == [
        {"id": world["other_community"], "name": "兴康社区", "roles": ["street_admin"]},
        {"id": community, "name": "海威社区", "roles": ["street_admin"]},
    ]
    assert street_admin["staff_grids"] == []

    admin = me(world["admin_api"])
    assert admin["communities"] == [
        {"id": community, "name": "海威社区", "roles": ["community_admin", "red_steward"]}
    ]
    assert admin["staff_grids"] == [
        {"id": grid2, "name": "第2网格", "community_id": community, "roles": ["red_steward"]}
    ]

    worker = me(world["workers"][0])
    assert worker["communities"] == [
        {"id": community, "name": "海威社区", "roles": ["building_head", "grid_worker"]}
    ]
    assert worker["staff_grids"] == [
        {
            "id": grid1,
            "name": "第1网格",
            "community_id": community,
            "roles": ["building_head", "grid_worker"],
        }
    ]

    treasurer = me(world["other_treasurer_api"])
    assert treasurer["communities"] == [
        {"id": world["other_community"], "name": "兴康社区", "roles": ["treasurer"]}
    ]
    assert treasurer["staff_grids"] == []

    resident = me(world["resident_api"])
    assert (resident["communities"], resident["staff_grids"]) == ([], [])
    assert resident["grid"]["id"] == grid1  # what /me said before is still there


# -- GET /communities/{id}/tree ---------------------------------------------------------


@pytest.mark.both_backends
def test_the_community_tree_has_every_place_in_natural_order_and_each_grids_staff(suite):
    world = build_world(suite)
    ids, admin = world["ids"], world["admin_api"]
    community, (grid1, grid2) = ids["community"], ids["grids"]
    estate = ids["estate"]
    # 10号楼 sorts after 2号楼, 10单元 after 2单元; an empty estate and an empty grid show
    tenth = admin.created("/buildings", {"estate_id": estate, "grid_id": grid1, "name": "10号楼"})
    unit10 = admin.created("/units", {"building_id": tenth["id"], "name": "10单元"})
    unit2 = admin.created("/units", {"building_id": tenth["id"], "name": "2单元"})
    admin.created("/households", {"unit_id": unit10["id"], "number": "1001"})
    second = admin.created("/estates", {"community_id": community, "name": "海威二区"})
    grid3 = admin.created("/grids", {"community_id": community, "name": "第3网格"})

    response = world["workers"][0].get(f"/communities/{community}/tree")

    assert response.status_code == 200, response.text
    tree = response.json()
    assert tree["community"] == {"id": community, "name": "海威社区"}
    (first_estate, second_estate) = tree["estates"]
    assert second_estate == {"id": second["id"], "name": "海威二区", "buildings": []}
    assert first_estate["id"] == estate and first_estate["name"] == "海威一区"
    buildings = first_estate["buildings"]
    assert [(b["id"], b["name"], b["grid_id"]) for b in buildings] == [
        (ids["buildings"][0], "1号楼", grid1),
        (ids["buildings"][1], "2号楼", grid2),
        (tenth["id"], "10号楼", grid1),
    ]
    assert [u["name"] for u in buildings[0]["units"]] == ["1单元"]
    assert buildings[0]["units"][0]["households"] == 2
    assert buildings[2]["units"] == [
        {"id": unit2["id"], "name": "2单元", "households": 0},
        {"id": unit10["id"], "name": "10单元", "households": 1},
    ]

    assert [(g["id"], g["name"]) for g in tree["grids"]] == [
        (grid1, "第1网格"),
        (grid2, "第2网格"),
        (grid3["id"], "第3网格"),
    ]
    staff1, staff2, staff3 = (g["staff"] for g in tree["grids"])
    assert staff1 == [
        {
            "person_id": ids["workers"][0],
            "name": "网格员1",
            "role": "grid_worker",
            "phone": world["worker_phones"][0],  # the worker reads their own grid unmasked
            "building_id": None,
            "unit_id": None,
        }
    ]
    assert [(s["person_id"], s["role"], s["phone"]) for s in staff2] == [
        (ids["workers"][1], "grid_worker", masked(world["worker_phones"][1])),
        (world["admin"]["id"], "red_steward", masked(world["admin"]["phone"])),
    ]
    assert staff3 == []

    # the community's admin reads it too, grid 2's staff unmasked as its red steward
    by_admin = admin.get(f"/communities/{community}/tree")
    assert by_admin.status_code == 200, by_admin.text
    assert by_admin.json()["estates"] == tree["estates"]
    assert [(s["person_id"], s["phone"]) for s in by_admin.json()["grids"][1]["staff"]] == [
        (ids["workers"][1], world["worker_phones"][1]),
        (world["admin"]["id"], world["admin"]["phone"]),
    ]
    by_street_admin = world["street_admin"].get(f"/communities/{community}/tree")
    assert by_street_admin.status_code == 200, by_street_admin.text

    refused(world["resident_api"].get(f"/communities/{community}/tree"), 403, "forbidden")
    refused(world["other_admin_api"].get(f"/communities/{community}/tree"), 403, "forbidden")
    refused(world["other_treasurer_api"].get(f"/communities/{community}/tree"), 403, "forbidden")
    refused(admin.get(f"/communities/{UNKNOWN}/tree"), 404, "not_found")


# -- GET /units/{id}/households ---------------------------------------------------------


def test_a_units_households_with_who_lives_there_masked_but_for_the_grids_staff(suite):
    world = build_world(suite)
    ids = world["ids"]
    community = ids["community"]
    tree = world["street_admin"].get(f"/communities/{community}/tree").json()
    unit = tree["estates"][0]["buildings"][0]["units"][0]["id"]
    admin = world["admin_api"]
    shop = admin.created("/households", {"unit_id": unit, "number": "99", "kind": "shop"})
    (home101, home102) = ids["households"][0]
    resident, worker_phone = world["resident"], world["worker_phones"][0]

    response = world["workers"][0].get(f"/units/{unit}/households")

    assert response.status_code == 200, response.text
    assert response.json() == [
        {"id": shop["id"], "number": "99", "kind": "shop", "people": []},
        {
            "id": home101,
            "number": "101",
            "kind": "home",
            "people": [  # by name
                {
                    "id": resident["id"],
                    "name": "居民甲",
                    "phone": resident["phone"],
                    "party_member": True,
                    "kind": "resident",
                },
                {
                    "id": world["admin"]["id"],
                    "name": "社区书记",
                    "phone": world["admin"]["phone"],
                    "party_member": False,
                    "kind": "resident",
                },
            ],
        },
        {
            "id": home102,
            "number": "102",
            "kind": "home",
            "people": [
                {
                    "id": ids["workers"][0],
                    "name": "网格员1",
                    "phone": worker_phone,
                    "party_member": False,
                    "kind": "resident",
                }
            ],
        },
    ]

    # the community admin may read it; holding no role in grid 1, sees phones masked
    # but their own
    by_admin = admin.get(f"/units/{unit}/households")
    assert by_admin.status_code == 200, by_admin.text
    phones = {p["id"]: p["phone"] for h in by_admin.json() for p in h["people"]}
    assert phones == {
        world["admin"]["id"]: world["admin"]["phone"],
        resident["id"]: masked(resident["phone"]),
        ids["workers"][0]: masked(worker_phone),
    }

    refused(world["resident_api"].get(f"/units/{unit}/households"), 403, "forbidden")
    refused(world["workers"][1].get(f"/units/{unit}/households"), 403, "forbidden")
    refused(world["other_admin_api"].get(f"/units/{unit}/households"), 403, "forbidden")
    refused(admin.get(f"/units/{UNKNOWN}/households"), 404, "not_found")


# -- GET /communities/{id}/member-orgs -----------------------------------------------


def test_a_communitys_member_organisations(suite):
    world = build_world(suite)
    community, admin = world["ids"]["community"], world["admin_api"]
    made = [
        admin.created("/member-orgs", {"community_id": community, "name": name, "kind": kind})
        for name, kind in (("共建单位10", "enterprise"), ("共建单位2", "institution"))
    ]
    world["street_admin"].created(
        "/member-orgs",
        {"community_id": world["other_community"], "name": "兴康物业", "kind": "property_company"},
    )

    response = world["workers"][1].get(f"/communities/{community}/member-orgs")

    assert response.status_code == 200, response.text
    assert response.json() == [
        {
            "id": made[1]["id"],
            "community_id": community,
            "name": "共建单位2",
            "kind": "institution",
        },
        {
            "id": made[0]["id"],
            "community_id": community,
            "name": "共建单位10",
            "kind": "enterprise",
        },
    ]
    assert admin.get(f"/communities/{community}/member-orgs").json() == response.json()
    other = world["other_admin_api"].get(f"/communities/{world['other_community']}/member-orgs")
    assert [o["name"] for o in other.json()] == ["兴康物业"]

    path = f"/communities/{community}/member-orgs"
    refused(world["resident_api"].get(path), 403, "forbidden")
    refused(world["other_admin_api"].get(path), 403, "forbidden")
    refused(admin.get(f"/communities/{UNKNOWN}/member-orgs"), 404, "not_found")


# -- GET /communities/{id}/people?q= ---------------------------------------------------


@pytest.mark.both_backends
def test_finding_a_communitys_people_by_name_or_phone(suite):
    world = build_world(suite)
    ids = world["ids"]
    community, (grid1, grid2) = ids["community"], ids["grids"]
    street_admin, worker = world["street_admin"], world["workers"][0]
    # holds a role in the community without living in it
    outsider, _ = register(suite, street_admin, "居民出纳")
    granted = street_admin.post(
        f"/communities/{community}/admins", {"person_id": outsider["id"], "role": "treasurer"}
    )
    assert granted.status_code == 201, granted.text
    path = f"/communities/{community}/people"

    def find(api, query):
        response = api.get(f"{path}?{query}")
        assert response.status_code == 200, response.text
        return response.json()

    # 兴康居民出纳 of the other community holds 居民 in their name and is not found
    assert find(worker, "q=居民") == [
        {
            "id": outsider["id"],
            "name": "居民出纳",
            "phone": masked(outsider["phone"]),
            "party_member": False,
            "household_id": None,
            "grid_id": None,
        },
        {
            "id": world["resident"]["id"],
            "name": "居民甲",
            "phone": world["resident"]["phone"],  # the worker of the resident's grid
            "party_member": True,
            "household_id": ids["households"][0][0],
            "grid_id": grid1,
        },
    ]
    workers = find(worker, "q=网格员")
    assert [(p["id"], p["grid_id"], p["phone"]) for p in workers] == [
        (ids["workers"][0], grid1, world["worker_phones"][0]),
        (ids["workers"][1], grid2, masked(world["worker_phones"][1])),
    ]
    assert [p["id"] for p in find(worker, "q=网格员&limit=1")] == [ids["workers"][0]]
    by_phone = find(world["admin_api"], f"q={world['worker_phones'][1]}")
    assert [(p["id"], p["phone"]) for p in by_phone] == [
        (ids["workers"][1], world["worker_phones"][1])  # the admin is red steward of grid 2
    ]
    assert find(worker, f"q={world['other_admin']['phone']}") == []  # another community's
    assert find(worker, "q=%25") == [] and find(worker, "q=_") == []  # no wildcards
    assert find(street_admin, "q=139") == []  # a phone is matched whole or not at all

    for query, field in (
        ("", "q"),
        ("q=", "q"),
        ("q=" + "居" * 51, "q"),
        ("q=居民&limit=0", "limit"),
        ("q=居民&limit=51", "limit"),
        ("q=居民&limit=many", "limit"),
    ):
        body = refused(worker.get(f"{path}?{query}"), 400, "invalid_input")
        assert list(body["fields"]) == [field], query

    refused(world["resident_api"].get(f"{path}?q=居民"), 403, "forbidden")
    refused(world["other_admin_api"].get(f"{path}?q=居民"), 403, "forbidden")
    refused(worker.get(f"/communities/{UNKNOWN}/people?q=居民"), 404, "not_found")


def test_the_people_finder_never_matches_the_hidden_digits_of_a_phone(suite):
    """A phone shown masked (139****0012) cannot be recovered by adding one digit at a
    time to a search: a part of a number finds nobody, whatever part it is; the whole
    number typed in finds its owner, and so does their name."""
    ids = build_community(suite, grids=2)
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    other, phone = ids["workers"][1], ids["worker_phones"][1]  # of the other grid
    path = f"/communities/{ids['community']}/people"

    def found(q):
        response = worker.get(f"{path}?{urlencode({'q': q})}")
        assert response.status_code == 200, response.text
        return [(p["id"], p["phone"]) for p in response.json()]

    shown = [(other, masked(phone))]
    assert found("网格员2") == shown
    parts = [phone[:n] for n in range(2, len(phone))]  # 13, 139, ..., a digit short
    parts += [phone[3:7], phone[3:], phone[:7], phone[2:], masked(phone), phone + "0"]
    for part in parts:
        assert found(part) == [], part
    for whole in (phone, f"{phone[:3]} {phone[3:7]} {phone[7:]}", f"+86{phone}"):
        assert found(whole) == shown, whole
