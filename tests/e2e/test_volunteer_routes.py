"""Volunteering through the gateway: a team's activity paid in stars, spent on a reward."""

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
    leader.post(f"{at}/check-in", record | {"at": (yesterday - timedelta(minutes=30)).isoformat()})
    out = leader.post(
        f"{at}/check-out", record | {"at": (yesterday + timedelta(hours=3)).isoformat()}
    )
    assert out.json()["minutes"] == 120  # cut to the activity's two hours

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
