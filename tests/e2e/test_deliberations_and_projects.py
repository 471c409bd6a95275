"""Votes 有事来商量 and project proposals through the gateway, over real RabbitMQ:
grid says who lives in the scope, appeals decides, the bus hears the result."""

import json
from datetime import timedelta

from api_client import build_community, next_phone
from kombu import Connection, Queue
from sqlalchemy import select
from waiting import wait_until

from yzw_kernel.db import Store
from yzw_kernel.outbox import event_exchange, outbox_table
from yzw_kernel.types import utcnow

APPEAL = {"category": "parking", "title": "小区停车难", "description": "晚上车位不够，消防通道被占"}


def resident(suite, admin, household_id, name="居民"):
    phone = next_phone()
    person = admin.created(
        "/people",
        {"name": name, "phone": phone, "password": suite.password, "household_id": household_id},
    )
    return person, suite.anonymous().login(phone, suite.password)


def vote_on(grid_id, closes_in=timedelta(days=3), **extra):
    return {
        "question": "东门空地改成停车位还是健身区？",
        "options": ["停车位", "健身区"],
        "scope": "grid",
        "scope_id": grid_id,
        "closes_at": (utcnow() + closes_in).isoformat(),
        **extra,
    }


def outbox_events(suite, event_type):
    """What appeals put in its outbox, read straight from its database."""
    store = Store(suite.database_urls["appeals"], source="appeals", migrations=None)
    try:
        with store.engine.connect() as connection:
            payloads = connection.scalars(
                select(outbox_table.c.payload).where(outbox_table.c.event_type == event_type)
            ).all()
    finally:
        store.dispose()
    return [json.loads(p)["data"] for p in payloads]


def neighbourhood(suite):
    """Two grids; grid 0 has its worker and three residents, grid 1 one resident."""
    ids = build_community(suite, grids=2)
    admin = suite.admin()
    homes = ids["households"]
    people = {
        "alice": resident(suite, admin, homes[0][0]),
        "bob": resident(suite, admin, homes[0][0]),
        "carol": resident(suite, admin, homes[0][1]),
        "dave": resident(suite, admin, homes[1][0]),
    }
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    appeal = people["alice"][1].created("/appeals", {**APPEAL, "household_id": homes[0][0]})
    return ids, {k: api for k, (_, api) in people.items()}, worker, appeal


def test_residents_of_the_grid_vote_once_and_staff_close_with_the_counted_result(suite):
    ids, people, worker, appeal = neighbourhood(suite)
    opening = f"/appeals/{appeal['id']}/deliberations"

    assert people["alice"].post(opening, vote_on(ids["grids"][0])).status_code == 403
    bad = worker.post(opening, vote_on(ids["grids"][0], options=["停车位", "停车位"]))
    assert bad.status_code == 400 and "options" in bad.json()["fields"]
    past = worker.post(opening, vote_on(ids["grids"][0], closes_in=timedelta(minutes=-5)))
    assert past.status_code == 400 and list(past.json()["fields"]) == ["closes_at"]

    opened = worker.created(opening, vote_on(ids["grids"][0]))
    # grid 0's residents: its worker, alice, bob and carol
    assert opened["eligible"] == 4 and opened["status"] == "open"
    votes = f"/deliberations/{opened['id']}/votes"

    outsider = people["dave"].post(votes, {"option": "停车位"})
    assert outsider.status_code == 403 and outsider.json()["error"] == "forbidden"
    unknown = people["alice"].post(votes, {"option": "游泳池"})
    assert unknown.status_code == 400 and list(unknown.json()["fields"]) == ["option"]
    first = people["alice"].post(votes, {"option": "停车位"})
    assert first.status_code == 201, first.text
    assert first.json()["my_vote"] == "停车位" and first.json()["counts"] is None
    again = people["alice"].post(votes, {"option": "健身区"})
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    assert people["bob"].post(votes, {"option": "停车位"}).status_code == 201
    assert people["carol"].post(votes, {"option": "健身区"}).status_code == 201

    before = people["bob"].get(f"/deliberations/{opened['id']}").json()
    assert before["votes_cast"] == 3 and before["my_vote"] == "停车位"
    assert before["counts"] is None and before["outcome"] is None
    assert people["dave"].get(f"/deliberations/{opened['id']}").status_code == 404
    assert people["alice"].post(f"/deliberations/{opened['id']}/close").status_code == 403

    closed = worker.post(f"/deliberations/{opened['id']}/close")

    assert closed.status_code == 200, closed.text
    result = closed.json()
    assert (result["status"], result["outcome"], result["winner"]) == (
        "closed",
        "decided",
        "停车位",
    )
    assert result["counts"] == {"停车位": 2, "健身区": 1}
    assert people["alice"].get(f"/deliberations/{opened['id']}").json()["counts"] == {
        "停车位": 2,
        "健身区": 1,
    }
    assert worker.post(votes, {"option": "健身区"}).status_code == 409  # closed
    assert worker.post(f"/deliberations/{opened['id']}/close").status_code == 409
    actions = [
        t["action"] for t in people["alice"].get(f"/appeals/{appeal['id']}").json()["timeline"]
    ]
    assert actions.count("deliberation_opened") == 1 and actions.count("deliberation_closed") == 1
    (event,) = outbox_events(suite, "deliberation_closed")
    assert event["deliberation_id"] == opened["id"] and event["eligible"] == 4
    assert event["counts"] == {"停车位": 2, "健身区": 1} and event["winner"] == "停车位"


def test_the_timer_closes_a_vote_at_its_closing_time_once(suite):
    ids, people, worker, appeal = neighbourhood(suite)
    opened = worker.created(
        f"/appeals/{appeal['id']}/deliberations",
        vote_on(ids["grids"][0], closes_in=timedelta(seconds=4)),
    )
    votes = f"/deliberations/{opened['id']}/votes"
    assert people["alice"].post(votes, {"option": "健身区"}).status_code == 201

    def closed():
        body = people["alice"].get(f"/deliberations/{opened['id']}").json()
        return body["status"] == "closed" and body

    result = wait_until(closed, timeout=20, message="the timer to close the vote")

    # one vote of four eligible, with a quorum of half: no quorum
    assert (result["outcome"], result["winner"]) == ("no_quorum", None)
    assert result["counts"] == {"停车位": 0, "健身区": 1}
    assert people["bob"].post(votes, {"option": "停车位"}).status_code == 409
    (event,) = outbox_events(suite, "deliberation_closed")
    assert event["deliberation_id"] == opened["id"] and event["outcome"] == "no_quorum"
    timeline = worker.get(f"/appeals/{appeal['id']}").json()["timeline"]
    closing = [t for t in timeline if t["action"] == "deliberation_closed"]
    assert len(closing) == 1 and closing[0]["actor_id"] is None


def other_community(suite, admin):
    """A second community with one household and its resident."""
    community = admin.created("/communities", {"name": "兴康社区"})
    estate = admin.created("/estates", {"community_id": community["id"], "name": "兴康小区"})
    grid = admin.created("/grids", {"community_id": community["id"], "name": "兴康第1网格"})
    building = admin.created(
        "/buildings", {"estate_id": estate["id"], "grid_id": grid["id"], "name": "1号楼"}
    )
    unit = admin.created("/units", {"building_id": building["id"], "name": "1单元"})
    home = admin.created("/households", {"unit_id": unit["id"], "number": "101"})
    return home["id"], resident(suite, admin, home["id"])[1]


def test_a_community_admin_groups_appeals_into_a_proposal_the_bus_hears_of(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    home = ids["households"][0][0]
    _, alice = resident(suite, admin, home)
    chair, chair_api = resident(suite, admin, ids["households"][0][1], name="社区书记")
    granted = admin.post(
        f"/communities/{ids['community']}/admins",
        {"person_id": chair["id"], "role": "community_admin"},
    )
    assert granted.status_code == 201, granted.text
    needs = [alice.created("/appeals", {**APPEAL, "household_id": home})["id"] for _ in range(3)]
    erin_home, erin = other_community(suite, admin)
    elsewhere = erin.created("/appeals", {**APPEAL, "household_id": erin_home})["id"]
    body = {
        "title": "东门空地改建停车位",
        "appeal_ids": needs[:2],
        "estimated_cost_fen": 12_500_000,
        "beneficiaries": 1200,
    }

    with Connection(suite.amqp_uri) as connection:
        heard = Queue(
            "test-project-proposed",
            exchange=event_exchange("appeals"),
            routing_key="project_proposed",
            auto_delete=True,
        )(connection.default_channel)
        heard.declare()
        assert alice.post("/project-proposals", body).status_code == 403
        made = chair_api.created("/project-proposals", body)
        message = wait_until(heard.get, message="project_proposed on the bus")
        envelope = json.loads(message.body)
        message.ack()

    assert envelope["type"] == "appeals.project_proposed"
    assert envelope["data"] == {
        "proposal_id": made["id"],
        "community_id": ids["community"],
        "title": "东门空地改建停车位",
        "appeal_ids": needs[:2],
        "estimated_cost_fen": 12_500_000,
        "beneficiaries": 1200,
        "proposed_by": chair["id"],
    }
    assert chair_api.get(f"/project-proposals/{made['id']}").json() == made
    assert alice.get(f"/project-proposals/{made['id']}").status_code == 200  # her appeals
    assert erin.get(f"/project-proposals/{made['id']}").status_code == 404
    timeline = alice.get(f"/appeals/{needs[0]}").json()["timeline"]
    assert timeline[-1]["action"] == "project_proposed" and made["id"] in timeline[-1]["note"]

    # already in a proposal: 409; another community's appeal: not this admin's to see;
    # the street admin, who sees both communities, may not mix them
    again = chair_api.post("/project-proposals", {**body, "appeal_ids": [needs[2], needs[0]]})
    assert again.status_code == 409 and again.json()["error"] == "conflict"
    mixed = {**body, "appeal_ids": [needs[2], elsewhere]}
    assert chair_api.post("/project-proposals", mixed).status_code == 404
    street = admin.post("/project-proposals", mixed)
    assert street.status_code == 400 and list(street.json()["fields"]) == ["appeal_ids"]
    cents = chair_api.post("/project-proposals", {**body, "estimated_cost_fen": 1250.5})
    assert cents.status_code == 400 and list(cents.json()["fields"]) == ["estimated_cost_fen"]
    assert len(outbox_events(suite, "project_proposed")) == 1
