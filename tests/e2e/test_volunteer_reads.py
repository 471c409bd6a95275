"""What the community console reads of volunteering: a community's teams, its
activities a page at a time, and who signed up for an activity."""

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


def outsider(suite, admin):
    """A resident of a second community."""
    community = admin.created("/communities", {"name": "兴康社区"})
    estate = admin.created("/estates", {"community_id": community["id"], "name": "兴康小区"})
    grid = admin.created("/grids", {"community_id": community["id"], "name": "兴康第1网格"})
    building = admin.created(
        "/buildings", {"estate_id": estate["id"], "grid_id": grid["id"], "name": "1号楼"}
    )
    unit = admin.created("/units", {"building_id": building["id"], "name": "1单元"})
    home = admin.created("/households", {"unit_id": unit["id"], "number": "101"})
    return person(suite, admin, home["id"], "兴康居民")[1]


def a_community_with_a_team(suite):
    """A community with a team (its leader and a volunteer), its grid worker, and an outsider."""
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    home = ids["households"][0][0]
    leader_id, leader = person(suite, admin, home, "队长")
    volunteer_id, volunteer = person(suite, admin, home, "志愿者")
    for person_id, client in ((leader_id, leader), (volunteer_id, volunteer)):
        # their red-star accounts, which carry their names, open from grid.person_registered
        wait_until(
            lambda p=person_id, c=client: c.get(f"/stars/{p}").status_code == 200,
            message="a red-star account",
        )
    team = admin.created(
        "/teams",
        {
            "community_id": ids["community"],
            "name": "B 银龄志愿服务队",
            "focus": "assistance",
            "leader_id": leader_id,
        },
    )
    return {
        "community": ids["community"],
        "home": home,
        "admin": admin,
        "worker": suite.anonymous().login(ids["worker_phones"][0], suite.password),
        "leader_id": leader_id,
        "leader": leader,
        "volunteer_id": volunteer_id,
        "volunteer": volunteer,
        "team": team,
        "outsider": outsider(suite, admin),
    }


def plan(leader, team_id, title, starts_at, hours=2):
    return leader.created(
        "/activities",
        {
            "team_id": team_id,
            "title": title,
            "place": "社区活动室",
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=hours)).isoformat(),
            "capacity": 5,
            "stars_per_hour": 6,
        },
    )


def refused(response, status, error):
    assert response.status_code == status, response.text
    assert response.json()["error"] == error, response.text
    return response.json()


def test_a_communitys_teams_by_name_for_its_own_people(suite):
    w = a_community_with_a_team(suite)
    community, leader = w["community"], w["leader"]
    added = leader.post(f"/teams/{w['team']['id']}/members", {"person_id": w["volunteer_id"]})
    assert added.status_code == 201, added.text
    patrol = w["admin"].created(
        "/teams",
        {
            "community_id": community,
            "name": "A 平安灯巡逻队",
            "focus": "patrol",
            "leader_id": w["volunteer_id"],
        },
    )

    listed = w["volunteer"].get(f"/teams?community_id={community}")
    assert listed.status_code == 200, listed.text
    teams = listed.json()
    assert [t["name"] for t in teams] == ["A 平安灯巡逻队", "B 银龄志愿服务队"]
    assert teams[0] == {
        "id": patrol["id"],
        "community_id": community,
        "name": "A 平安灯巡逻队",
        "focus": "patrol",
        "leader_id": w["volunteer_id"],
        "members": [w["volunteer_id"]],
        "member_count": 1,
        "names": {w["volunteer_id"]: "志愿者"},  # from the red-star accounts
    }
    assert teams[1]["id"] == w["team"]["id"]
    assert teams[1]["members"] == sorted([w["leader_id"], w["volunteer_id"]])
    assert teams[1]["member_count"] == 2
    assert teams[1]["names"] == {w["leader_id"]: "队长", w["volunteer_id"]: "志愿者"}
    # the community's staff read the same list
    assert w["worker"].get(f"/teams?community_id={community}").json() == teams

    refused(w["outsider"].get(f"/teams?community_id={community}"), 403, "forbidden")
    missing = refused(w["volunteer"].get("/teams"), 400, "invalid_input")
    assert set(missing["fields"]) == {"community_id"}


def test_a_communitys_activities_newest_first_a_page_at_a_time(suite):
    w = a_community_with_a_team(suite)
    community, leader, team = w["community"], w["leader"], w["team"]
    now = datetime.now(UTC).replace(microsecond=0)
    earlier = plan(leader, team["id"], "助老理发", now - timedelta(days=1))
    later = plan(leader, team["id"], "义诊", now + timedelta(days=1))
    other_team = w["admin"].created(
        "/teams",
        {
            "community_id": community,
            "name": "A 平安灯巡逻队",
            "focus": "patrol",
            "leader_id": w["leader_id"],
        },
    )
    patrol = plan(leader, other_team["id"], "夜间巡逻", now)
    activities = f"/activities?community_id={community}"

    whole = w["volunteer"].get(activities)
    assert whole.status_code == 200, whole.text
    assert whole.json() == {"items": [later, patrol, earlier], "next_cursor": None}
    assert later["status"] == "open" and later["title"] == "义诊"

    first = w["volunteer"].get(f"{activities}&limit=1").json()
    assert [a["id"] for a in first["items"]] == [later["id"]]
    assert first["next_cursor"]
    second = w["volunteer"].get(f"{activities}&limit=1&cursor={first['next_cursor']}").json()
    assert [a["id"] for a in second["items"]] == [patrol["id"]]
    third = w["volunteer"].get(f"{activities}&limit=1&cursor={second['next_cursor']}").json()
    assert [a["id"] for a in third["items"]] == [earlier["id"]]
    assert third["next_cursor"] is None

    by_team = w["volunteer"].get(f"{activities}&team_id={team['id']}").json()["items"]
    assert [a["id"] for a in by_team] == [later["id"], earlier["id"]]
    done = leader.post(f"/activities/{earlier['id']}/complete")
    assert done.status_code == 200, done.text
    completed = w["worker"].get(f"{activities}&status=completed").json()["items"]
    assert [(a["id"], a["status"]) for a in completed] == [(earlier["id"], "completed")]
    still_open = w["worker"].get(f"{activities}&status=open&team_id={team['id']}").json()
    assert [a["id"] for a in still_open["items"]] == [later["id"]]

    bad_status = refused(w["volunteer"].get(f"{activities}&status=cancelled"), 400, "invalid_input")
    assert set(bad_status["fields"]) == {"status"}
    bad_cursor = refused(w["volunteer"].get(f"{activities}&cursor=nonsense"), 400, "invalid_input")
    assert set(bad_cursor["fields"]) == {"cursor"}
    refused(w["outsider"].get(activities), 403, "forbidden")
    missing = refused(w["volunteer"].get(f"/activities?team_id={team['id']}"), 400, "invalid_input")
    assert set(missing["fields"]) == {"community_id"}


def test_an_activitys_sign_ups_for_its_leader_and_the_communitys_staff(suite):
    w = a_community_with_a_team(suite)
    leader, volunteer_id = w["leader"], w["volunteer_id"]
    quitter_id, quitter = person(suite, w["admin"], w["home"], "临时有事")
    # names come with the red-star accounts grid.person_registered opens
    for who, api in ((volunteer_id, w["volunteer"]), (quitter_id, quitter)):
        wait_until(
            lambda who=who, api=api: api.get(f"/stars/{who}").status_code == 200,
            message="the red-star account",
        )
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    activity = plan(leader, w["team"]["id"], "助老理发", start)
    at = f"/activities/{activity['id']}"
    assert quitter.post(f"{at}/signups").status_code == 201
    assert quitter.delete(f"{at}/signups/me").status_code == 200
    assert w["volunteer"].post(f"{at}/signups").status_code == 201
    record = {"person_id": volunteer_id}
    checked_in = leader.post(f"{at}/check-in", record | {"at": start.isoformat()})
    assert checked_in.status_code == 200, checked_in.text
    out = leader.post(f"{at}/check-out", record | {"at": (start + timedelta(hours=2)).isoformat()})
    assert out.status_code == 200, out.text

    listed = leader.get(f"{at}/signups")
    assert listed.status_code == 200, listed.text
    assert listed.json() == [
        {
            "activity_id": activity["id"],
            "person_id": volunteer_id,
            "person_name": "志愿者",
            "status": "signed_up",
            "checked_in_at": checked_in.json()["checked_in_at"],
            "checked_out_at": out.json()["checked_out_at"],
            "minutes": 120,
        },
        {
            "activity_id": activity["id"],
            "person_id": quitter_id,
            "person_name": "临时有事",
            "status": "cancelled",
            "checked_in_at": None,
            "checked_out_at": None,
            "minutes": 0,
        },
    ]
    assert w["admin"].get(f"{at}/signups").json() == listed.json()
    assert w["worker"].get(f"{at}/signups").json() == listed.json()

    refused(w["volunteer"].get(f"{at}/signups"), 403, "forbidden")  # signed up, not leading
    refused(w["outsider"].get(f"{at}/signups"), 403, "forbidden")
    refused(
        leader.get("/activities/00000000-0000-4000-8000-000000000000/signups"), 404, "not_found"
    )
