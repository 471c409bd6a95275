"""Appeals through the gateway, over real RabbitMQ: the journey and its races."""

import eventlet
import pytest
from api_client import build_community, next_phone

# the journeys run on PostgreSQL too: every service on a database of its own
pytestmark = pytest.mark.both_backends


def resident(suite, admin, household_id, **extra):
    phone = next_phone()
    person = admin.created(
        "/people",
        {
            "name": "居民",
            "phone": phone,
            "password": suite.password,
            "household_id": household_id,
            **extra,
        },
    )
    return person, suite.anonymous().login(phone, suite.password)


APPEAL = {
    "category": "infrastructure",
    "title": "楼道灯坏了",
    "description": "3号楼2单元楼道灯不亮，老人晚上出行不便",
}


def test_a_resident_appeal_goes_to_the_grid_worker_and_closes_with_a_rating(suite):
    ids = build_community(suite)
    admin = suite.admin()
    _, alice = resident(suite, admin, ids["households"][1][0])
    worker = suite.anonymous().login(ids["worker_phones"][1], suite.password)

    created = alice.created("/appeals", {**APPEAL, "household_id": ids["households"][1][0]})
    assert created["status"] == "dispatched"
    assert created["number"].count("-") == 1
    assert created["grid_id"] == ids["grids"][1]  # the grid that serves her household
    assert created["assignee"] == {"kind": "person", "id": ids["workers"][1]}

    appeal = f"/appeals/{created['id']}"
    assert worker.post(f"{appeal}/claim").status_code == 200
    resolved = worker.post(f"{appeal}/resolve", {"resolution": "已更换灯泡"})
    assert resolved.json()["status"] == "resolved"
    rated = alice.post(f"{appeal}/rate", {"score": 5, "comment": "很及时"})
    assert rated.status_code == 200, rated.text

    final = alice.get(appeal).json()
    assert final["status"] == "closed"
    assert final["rating"] == 5
    assert final["handler_id"] == ids["workers"][1]
    steps = [(t["action"], t["from_status"], t["to_status"]) for t in final["timeline"]]
    assert steps == [
        ("submit", None, "submitted"),
        ("dispatch", "submitted", "dispatched"),
        ("claim", "dispatched", "claimed"),
        ("resolve", "claimed", "resolved"),
        ("close", "resolved", "closed"),
    ]
    assert all(t["at"] for t in final["timeline"])
    assert final["timeline"][2]["actor_id"] == ids["workers"][1]


def test_two_handlers_claiming_at_the_same_moment_one_wins_the_other_gets_409(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    home = ids["households"][0][0]
    _, alice = resident(suite, admin, home)
    members = [resident(suite, admin, home, party_member=True)[1] for _ in range(2)]
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    team = admin.created(
        "/teams",
        {
            "community_id": ids["community"],
            "name": "平安灯巡逻队",
            "focus": "patrol",
            "leader_id": ids["workers"][0],
        },
    )

    for _ in range(3):  # a few rounds: the race must hold every time
        created = alice.created("/appeals", {**APPEAL, "household_id": home})
        appeal = f"/appeals/{created['id']}"
        to_team = worker.post(
            f"{appeal}/dispatch", {"assignee_kind": "volunteer_team", "assignee_id": team["id"]}
        )
        assert to_team.status_code == 200, to_team.text

        pool = eventlet.GreenPool()
        answers = list(pool.imap(lambda api, a=appeal: api.post(f"{a}/claim"), members))

        assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
        loser = next(r for r in answers if r.status_code == 409)
        assert loser.json()["error"] == "conflict"
        final = worker.get(appeal).json()
        assert final["status"] == "claimed"
        assert [t["action"] for t in final["timeline"]].count("claim") == 1


def test_a_rating_of_one_reopens_to_the_handler_and_only_the_submitter_rates(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    home = ids["households"][0][0]
    _, alice = resident(suite, admin, home)
    _, bob = resident(suite, admin, home)
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    appeal = "/appeals/" + alice.created("/appeals", {**APPEAL, "household_id": home})["id"]
    worker.post(f"{appeal}/claim")
    worker.post(f"{appeal}/resolve", {"resolution": "已处理"})

    assert bob.post(f"{appeal}/rate", {"score": 5}).status_code in (403, 404)
    reopened = alice.post(f"{appeal}/rate", {"score": 1, "comment": "灯还是不亮"})

    assert reopened.status_code == 200
    body = reopened.json()
    assert body["status"] == "dispatched"
    assert body["assignee"] == {"kind": "person", "id": ids["workers"][0]}
    assert body["timeline"][-1]["action"] == "reopen"
    # and round again to a good end
    worker.post(f"{appeal}/claim")
    worker.post(f"{appeal}/resolve", {"resolution": "换了整条线路"})
    assert alice.post(f"{appeal}/rate", {"score": 4}).json()["status"] == "closed"
