"""Volunteering through the gateway: a team's activity paid in stars, spent on a reward;
stars bounded (limits, recorded times, a second person for a large payment); and the
people named to volunteering asked of grid."""

from datetime import UTC, datetime, timedelta

from api_client import build_community, next_phone
from waiting import wait_until


def person(suite, admin, household_id, name):
    phone = next_phone()
    made = admin.created(
        "/people",
        {"name": name, "phone": phone, "password": suite.password, "household_id": household_id},
    )
    return made["id"], suite.anonymous().login(phone, suite.password)


def test_an_activity_pays_its_volunteers_who_spend_stars_on_a_reward(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    home = ids["households"][0][0]
    leader_id, leader = person(suite, admin, home, "队长")
    volunteer_id, volunteer = person(suite, admin, home, "志愿者")
    provider_id, provider = person(suite, admin, home, "理疗师")
    community = ids["community"]
    # accounts open from grid.person_registered
    wait_until(
        lambda: volunteer.get(f"/stars/{volunteer_id}").status_code == 200,
        message="the volunteer's red-star account",
    )

    team = admin.created(
        "/teams",
        {
            "community_id": community,
            "name": "银龄志愿服务队",
            "focus": "assistance",
            "leader_id": leader_id,
        },
    )
    assert (
        leader.post(f"/teams/{team['id']}/members", {"person_id": volunteer_id}).status_code == 201
    )
    assert admin.get(f"/teams/{team['id']}").json()["members"] == sorted([leader_id, volunteer_id])

    yesterday = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    activity = leader.created(
        "/activities",
        {
            "team_id": team["id"],
            "title": "助老理发",
            "place": "社区活动室",
            "starts_at": yesterday.isoformat(),
            "ends_at": (yesterday + timedelta(hours=2)).isoformat(),
            "capacity": 1,
            "stars_per_hour": 6,
        },
    )
    at = f"/activities/{activity['id']}"
    assert volunteer.post(f"{at}/signups").status_code == 201
    assert leader.post(f"{at}/signups").status_code == 409  # one place only
    record = {"person_id": volunteer_id}
    assert (
        volunteer.post(f"{at}/check-in", record | {"at": yesterday.isoformat()}).status_code == 403
    )
    checked_in = leader.post(f"{at}/check-in", record | {"at": yesterday.isoformat()})
    assert checked_in.status_code == 200, checked_in.text
    out = leader.post(
        f"{at}/check-out", record | {"at": (yesterday + timedelta(hours=2)).isoformat()}
    )
    assert out.json()["minutes"] == 120

    done = leader.post(f"{at}/complete")
    assert done.status_code == 200, done.text
    assert done.json()["awarded"] == {volunteer_id: 12}
    assert leader.post(f"{at}/complete").status_code == 409
    assert volunteer.get(f"/stars/{volunteer_id}").json()["balance"] == 12

    wait_until(
        lambda: provider.get(f"/stars/{provider_id}").status_code == 200,
        message="the provider's red-star account, which carries their name",
    )
    reward = admin.created(
        "/rewards",
        {
            "community_id": community,
            "name": "艾灸一次",
            "provider_id": provider_id,
            "price_stars": 5,
            "stock": 2,
        },
    )
    assert reward["provider_name"] == "理疗师"
    listed = volunteer.get(f"/rewards?community_id={community}").json()
    assert [(r["id"], r["provider_name"]) for r in listed] == [(reward["id"], "理疗师")]
    first = volunteer.created(f"/rewards/{reward['id']}/redeem", None)
    second = volunteer.created(f"/rewards/{reward['id']}/redeem", None)
    assert volunteer.post(f"/rewards/{reward['id']}/redeem").status_code == 409  # out of stock
    assert volunteer.get(f"/stars/{volunteer_id}").json()["balance"] == 2
    assert volunteer.post(f"/vouchers/{first['code']}/use").status_code == 403
    assert provider.post(f"/vouchers/{first['code']}/use").json()["status"] == "used"
    assert volunteer.post(f"/vouchers/{first['id']}/cancel").status_code == 409
    assert volunteer.post(f"/vouchers/{second['id']}/cancel").json()["status"] == "cancelled"
    assert volunteer.get(f"/stars/{volunteer_id}").json()["balance"] == 7
    vouchers = volunteer.get("/vouchers").json()["items"]
    assert [v["status"] for v in vouchers] == ["cancelled", "used"]

    award = admin.post(
        "/stars/awards", {"person_id": leader_id, "stars": 20, "reason": "组织助老活动"}
    )
    assert award.status_code == 201, award.text
    assert (
        volunteer.post(
            "/stars/awards", {"person_id": volunteer_id, "stars": 99, "reason": "自己奖励自己"}
        ).status_code
        == 403
    )
    board = volunteer.get(f"/leaderboards?community_id={community}&period=month").json()
    assert [(row["owner_id"], row["stars"]) for row in board["leaders"]] == [
        (leader_id, 20),
        (volunteer_id, 12),
    ]


def refused(response, status, error):
    assert response.status_code == status, response.text
    assert response.json()["error"] == error, response.text
    return response.json()


def resident_elsewhere(suite, admin):
    """A resident of a second community of the same street."""
    community = admin.created("/communities", {"name": "兴康社区"})
    estate = admin.created("/estates", {"community_id": community["id"], "name": "兴康小区"})
    grid = admin.created("/grids", {"community_id": community["id"], "name": "兴康第1网格"})
    building = admin.created(
        "/buildings", {"estate_id": estate["id"], "grid_id": grid["id"], "name": "1号楼"}
    )
    unit = admin.created("/units", {"building_id": building["id"], "name": "1单元"})
    home = admin.created("/households", {"unit_id": unit["id"], "number": "101"})
    return person(suite, admin, home["id"], "兴康居民")


def test_the_minting_run_is_refused_and_a_large_completion_waits_for_a_second_admin(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()  # the street's admin, who administers the community
    community, home = ids["community"], ids["households"][0][0]
    leader_id, leader = person(suite, admin, home, "队长")
    # the leader is a community admin too: completing, they still may not approve
    made = admin.post(
        f"/communities/{community}/admins", {"person_id": leader_id, "role": "community_admin"}
    )
    assert made.status_code == 201, made.text
    crew = [person(suite, admin, home, f"志愿者{n}") for n in range(4)]
    team = admin.created(
        "/teams",
        {
            "community_id": community,
            "name": "平安巡逻队",
            "focus": "patrol",
            "leader_id": leader_id,
        },
    )

    # a year at a hundred stars an hour: 876,000 stars a volunteer, refused
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=30)
    plan = {
        "team_id": team["id"],
        "title": "全年巡逻",
        "place": "海威一区",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=365)).isoformat(),
        "capacity": 10,
        "stars_per_hour": 100,
    }
    error = refused(leader.post("/activities", plan), 400, "invalid_input")
    assert set(error["fields"]) == {"ends_at", "stars_per_hour"}
    a_year_back = (start - timedelta(days=365)).isoformat()
    back_dated = plan | {
        "starts_at": a_year_back,
        "ends_at": (start - timedelta(days=364, hours=14)).isoformat(),
        "stars_per_hour": 10,
    }
    error = refused(leader.post("/activities", back_dated), 400, "invalid_input")
    assert set(error["fields"]) == {"starts_at"}

    # ten hours at ten stars an hour for four: 400 stars, above the 300 a leader pays alone
    ends = start + timedelta(hours=10)
    activity = leader.created(
        "/activities", plan | {"ends_at": ends.isoformat(), "stars_per_hour": 10}
    )
    at = f"/activities/{activity['id']}"
    for _, volunteer in crew:
        assert volunteer.post(f"{at}/signups").status_code == 201
    first = {"person_id": crew[0][0]}
    for when, message in (
        (a_year_back, "not before starts_at"),
        ((start - timedelta(minutes=1)).isoformat(), "not before starts_at"),
        ((datetime.now(UTC) + timedelta(hours=1)).isoformat(), "not in the future"),
    ):
        error = refused(leader.post(f"{at}/check-in", first | {"at": when}), 400, "invalid_input")
        assert error["fields"] == {"at": [message]}
    for volunteer_id, _ in crew:
        record = {"person_id": volunteer_id}
        assert leader.post(f"{at}/check-in", record | {"at": start.isoformat()}).status_code == 200
        out = leader.post(f"{at}/check-out", record | {"at": ends.isoformat()})
        assert out.json()["minutes"] == 600, out.text

    done = leader.post(f"{at}/complete")
    assert done.status_code == 200, done.text
    assert done.json()["awarded"] == {}
    assert done.json()["activity"]["status"] == "awaiting_approval"
    assert done.json()["activity"]["stars_due"] == 400
    for volunteer_id, volunteer in crew:
        assert volunteer.get(f"/stars/{volunteer_id}").json()["balance"] == 0
    waiting = admin.get(f"/activities?community_id={community}&status=awaiting_approval")
    assert [a["id"] for a in waiting.json()["items"]] == [activity["id"]]

    # the same person may not approve; a volunteer may not either
    error = refused(leader.post(f"{at}/approve", {}), 403, "forbidden")
    assert "another community admin" in error["message"]
    refused(crew[0][1].post(f"{at}/approve", {}), 403, "forbidden")
    refused(crew[0][1].post(f"{at}/reject", {}), 403, "forbidden")
    approved = admin.post(f"{at}/approve", {"comment": "已核实签到记录"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["awarded"] == {volunteer_id: 100 for volunteer_id, _ in crew}
    assert approved.json()["activity"]["status"] == "completed"
    # paid once
    refused(admin.post(f"{at}/approve", {}), 409, "conflict")
    refused(admin.post(f"{at}/reject", {}), 409, "conflict")
    refused(leader.post(f"{at}/complete"), 409, "conflict")
    for volunteer_id, volunteer in crew:
        assert volunteer.get(f"/stars/{volunteer_id}").json()["balance"] == 100


def test_the_people_named_to_volunteering_are_real_people_of_the_community(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    community, home = ids["community"], ids["households"][0][0]
    leader_id, leader = person(suite, admin, home, "队长")
    outsider_id, outsider = resident_elsewhere(suite, admin)
    worker_id = ids["workers"][0]
    wait_until(
        lambda: outsider.get(f"/stars/{outsider_id}").status_code == 200,
        message="the outsider's red-star account",
    )
    team_body = {"community_id": community, "name": "银龄服务队", "focus": "assistance"}

    # a team's leader
    for leader_named, status, error in (
        ("no-such-person", 404, "not_found"),
        (outsider_id, 400, "invalid_input"),
    ):
        answer = refused(
            admin.post("/teams", team_body | {"leader_id": leader_named}), status, error
        )
        assert set(answer["fields"]) == {"leader_id"}
    assert admin.get(f"/teams?community_id={community}").json() == []
    team = admin.created("/teams", team_body | {"leader_id": leader_id})

    # a team's members: a made-up id, another community's resident; nothing added
    members = f"/teams/{team['id']}/members"
    for member, status, error in (
        ("no-such-person", 404, "not_found"),
        (outsider_id, 400, "invalid_input"),
    ):
        answer = refused(leader.post(members, {"person_id": member}), status, error)
        assert set(answer["fields"]) == {"person_id"}
    assert admin.get(f"/teams/{team['id']}").json()["members"] == [leader_id]
    assert leader.post(members, {"person_id": worker_id}).status_code == 201

    # a reward's provider
    reward = {"community_id": community, "name": "理疗一次", "price_stars": 5, "stock": 1}
    for provider, status, error in (
        ("no-such-person", 404, "not_found"),
        (outsider_id, 400, "invalid_input"),
    ):
        answer = refused(admin.post("/rewards", reward | {"provider_id": provider}), status, error)
        assert set(answer["fields"]) == {"provider_id"}
    assert admin.get(f"/rewards?community_id={community}").json() == []

    # an award's recipient: the street's admin administers the outsider's community too,
    # so an admin of this community alone is needed
    community_admin_id, community_admin = person(suite, admin, home, "社区主任")
    made = admin.post(
        f"/communities/{community}/admins",
        {"person_id": community_admin_id, "role": "community_admin"},
    )
    assert made.status_code == 201, made.text
    award = {"stars": 5, "reason": "表彰"}
    refused(
        community_admin.post("/stars/awards", award | {"person_id": "no-such-person"}),
        404,
        "not_found",
    )
    refused(
        community_admin.post("/stars/awards", award | {"person_id": outsider_id}), 403, "forbidden"
    )
    assert outsider.get(f"/stars/{outsider_id}").json()["balance"] == 0
    given = community_admin.post("/stars/awards", award | {"person_id": worker_id})
    assert given.status_code == 201, given.text
