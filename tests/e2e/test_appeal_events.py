"""Appeals hears the suite: grid's role_revoked and funding's project_completed."""

import json

from api_client import build_community, next_phone
from kombu import Connection, Producer
from waiting import wait_until

from yzw_kernel.envelope import make_envelope
from yzw_kernel.outbox import event_exchange

APPEAL = {"category": "daily", "title": "垃圾桶满了", "description": "小区东门垃圾桶已满"}


def resident(suite, admin, household_id):
    phone = next_phone()
    admin.created(
        "/people",
        {"name": "居民", "phone": phone, "password": suite.password, "household_id": household_id},
    )
    return suite.anonymous().login(phone, suite.password)


def test_revoking_a_workers_role_requeues_their_open_appeals(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    home = ids["households"][0][0]
    alice = resident(suite, admin, home)
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    held = [alice.created("/appeals", {**APPEAL, "household_id": home})["id"] for _ in range(2)]
    assert worker.post(f"/appeals/{held[0]}/claim").status_code == 200
    closed = alice.created("/appeals", {**APPEAL, "household_id": home})["id"]
    worker.post(f"/appeals/{closed}/claim")
    worker.post(f"/appeals/{closed}/resolve", {"resolution": "已清运"})
    alice.post(f"/appeals/{closed}/rate", {"score": 5})

    revoked = admin.delete(f"/grids/{ids['grids'][0]}/roles/{ids['workers'][0]}/grid_worker")
    assert revoked.status_code == 200, revoked.text

    def requeued():
        bodies = [admin.get(f"/appeals/{a}").json() for a in held]
        return all(b["status"] == "submitted" and b["assignee"] is None for b in bodies) and bodies

    bodies = wait_until(requeued, message="the worker's appeals to return to the grid's queue")
    for body in bodies:
        assert body["timeline"][-1]["action"] == "requeue"
        assert body["timeline"][-1]["actor_id"] is None
    assert admin.get(f"/appeals/{closed}").json()["status"] == "closed"  # a closed one stays


def test_a_completed_project_resolves_its_appeals_once_and_residents_rate_them(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    home = ids["households"][0][0]
    alice = resident(suite, admin, home)
    linked = [alice.created("/appeals", {**APPEAL, "household_id": home})["id"] for _ in range(2)]
    other = alice.created("/appeals", {**APPEAL, "household_id": home})["id"]
    envelope = make_envelope(
        "funding",
        "project_completed",
        {
            "project_id": "project-1",
            "community_id": ids["community"],
            "appeal_ids": linked,
            "beneficiaries": 120,
            "actual_spend_fen": 1_250_000,
        },
    )

    with Connection(suite.amqp_uri) as connection:
        producer = Producer(connection.default_channel)
        for _ in range(2):  # delivered twice: one effect
            producer.publish(
                json.dumps(envelope),
                exchange=event_exchange("funding"),
                routing_key="project_completed",
                content_type="application/json",
            )

    def resolved():
        bodies = [alice.get(f"/appeals/{a}").json() for a in linked]
        return all(b["status"] == "resolved" for b in bodies) and bodies

    for body in wait_until(resolved, message="the project's appeals to be resolved"):
        actions = [t["action"] for t in body["timeline"]]
        assert actions.count("resolve_by_project") == 1
        assert "please rate" in body["timeline"][-1]["note"]
    assert alice.get(f"/appeals/{other}").json()["status"] == "dispatched"
    rated = alice.post(f"/appeals/{linked[0]}/rate", {"score": 4})
    assert rated.json()["status"] == "closed"
