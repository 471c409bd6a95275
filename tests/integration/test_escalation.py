"""Overdue appeals escalate one level by themselves, exactly once, on SQLite and PostgreSQL:
the rules through the service layer, racers in one process, and the timer of two
appeals-service processes (`nameko run`) sweeping the same database over real RabbitMQ."""

import json
import os
import re
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import eventlet
import pytest
from conftest import APPEALS_TEST_CONFIG
from sqlalchemy import func, select, update
from usecases import run
from waiting import wait_until

from appeals import app, domain, escalation
from appeals.models import Appeal, TimelineEntry
from appeals.service import MIGRATIONS
from yzw_kernel.db import Store
from yzw_kernel.errors import Conflict
from yzw_kernel.outbox import outbox_table
from yzw_kernel.types import utcnow

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {"deadlines": APPEALS_TEST_CONFIG["DEADLINES"], "quorum_share": 0.5}
STREET, COMMUNITY, GRID = "street-1", "community-1", "grid-1"
PLACE = {
    "household": {"id": "home-1", "building": {"id": "building-1"}},
    "grid": {"id": GRID, "name": "第1网格", "community_id": COMMUNITY, "street_id": STREET},
    "grid_staff": [{"person_id": "worker", "name": "网格员", "role": "grid_worker"}],
}


def principal(pid, household=None, grid_roles=(), admin_roles=()):
    return {
        "person_id": pid,
        "name": pid,
        "household_id": household,
        "community_id": COMMUNITY if household else None,
        "grid_roles": [{"grid_id": GRID, "community_id": COMMUNITY, "role": r} for r in grid_roles],
        "admin_roles": [
            dict(zip(("role", "community_id", "street_id"), a, strict=False)) for a in admin_roles
        ],
    }


ALICE = principal("alice", "home-1")
WORKER = principal("worker", "home-4", grid_roles=["grid_worker"])
ADMIN = principal("admin", admin_roles=[("community_admin", COMMUNITY, None)])
STREET_ADMIN = principal("street-admin", admin_roles=[("street_admin", None, STREET)])


@pytest.fixture
def store(database_url):
    store = Store(database_url, source="appeals", migrations=MIGRATIONS)
    store.migrate()
    yield store
    store.dispose()


def submit(store, category="daily"):
    data = {"category": category, "title": "路灯不亮", "description": "东门路灯坏了"}
    return run(store, app.submit, ALICE, PLACE, {**data, "household_id": "home-1"}, SETTINGS)["id"]


def let_deadlines_pass(store, appeal_ids):
    with store.transaction() as tx:
        tx.session.execute(
            update(Appeal)
            .where(Appeal.id.in_(appeal_ids))
            .values(deadline_at=utcnow() - timedelta(minutes=5))
        )


def appeal(store, appeal_id):
    """The appeal's columns as they are now, detached from any session."""
    with store.reading() as session:
        row = session.get(Appeal, appeal_id)
        return SimpleNamespace(**{c.key: getattr(row, c.key) for c in Appeal.__table__.columns})


def escalations(store, appeal_id):
    """(actor_id, note) of the appeal's escalate timeline entries, in order."""
    with store.reading() as session:
        return session.execute(
            select(TimelineEntry.actor_id, TimelineEntry.note)
            .where(TimelineEntry.appeal_id == appeal_id, TimelineEntry.action == "escalate")
            .order_by(TimelineEntry.id)
        ).all()


def escalated_events(store):
    """appeal_escalated events in the outbox, per appeal id."""
    with store.engine.connect() as connection:
        payloads = connection.scalars(
            select(outbox_table.c.payload).where(outbox_table.c.event_type == "appeal_escalated")
        ).all()
    counts = {}
    for payload in payloads:
        appeal_id = json.loads(payload)["data"]["appeal_id"]
        counts[appeal_id] = counts.get(appeal_id, 0) + 1
    return counts


# -- the rules ---------------------------------------------------------------------------


def test_an_overdue_open_appeal_escalates_one_level_with_a_new_deadline(store):
    waiting, in_hand, on_time, done = (
        submit(store, c) for c in ("daily", "safety", "daily", "daily")
    )
    run(store, app.claim, WORKER, in_hand)
    run(store, app.claim, WORKER, done)
    run(store, app.resolve, WORKER, done, {"resolution": "已修好"})
    let_deadlines_pass(store, [waiting, in_hand, done])
    before = utcnow()

    escalated, lost = escalation.sweep(store, SETTINGS)

    assert sorted(escalated) == sorted([waiting, in_hand]) and lost == 0
    for appeal_id, hours in ((waiting, 72), (in_hand, 24)):  # community factor 1
        now = appeal(store, appeal_id)
        assert (now.level, now.status) == ("community", "submitted")
        assert (now.assignee_id, now.handler_id) == (None, None)  # in the community's queue
        assert (
            before + timedelta(hours=hours) <= now.deadline_at <= utcnow() + timedelta(hours=hours)
        )
        ((actor, note),) = escalations(store, appeal_id)
        assert actor is None and note.startswith("grid → community: overdue")
    assert appeal(store, on_time).level == "grid" and escalations(store, on_time) == []
    assert appeal(store, done).status == "resolved" and escalations(store, done) == []
    assert escalated_events(store) == {waiting: 1, in_hand: 1}
    assert escalation.sweep(store, SETTINGS) == ([], 0)  # nothing is overdue any more


def test_past_its_new_deadline_it_climbs_again_and_stops_at_the_departments(store):
    appeal_id = submit(store, "safety")
    levels = []
    for _ in range(4):
        let_deadlines_pass(store, [appeal_id])
        escalation.sweep(store, SETTINGS)
        levels.append(appeal(store, appeal_id).level)

    assert levels == ["community", "street", "department", "department"]
    # with the departments, overdue it stays: the sweep does not even list it
    with store.reading() as session:
        assert escalation.overdue(session, utcnow()) == []
    assert run(store, escalation.escalate_overdue, appeal_id, SETTINGS) is False
    assert len(escalations(store, appeal_id)) == 3
    assert escalated_events(store) == {appeal_id: 3}
    assert domain.is_overdue(appeal(store, appeal_id), utcnow())


def test_staff_escalating_first_leaves_the_timer_nothing_to_do(store):
    appeal_id = submit(store)
    let_deadlines_pass(store, [appeal_id])
    run(store, app.escalate, WORKER, appeal_id, {"reason": "超出网格职责"}, SETTINGS)

    assert escalation.sweep(store, SETTINGS) == ([], 0)
    assert appeal(store, appeal_id).level == "community"
    assert [actor for actor, _ in escalations(store, appeal_id)] == ["worker"]


def test_racers_for_one_overdue_appeal_escalate_it_exactly_once(store):
    appeal_id = submit(store)
    let_deadlines_pass(store, [appeal_id])

    def escalate_in_own_transaction(_):
        try:
            with store.transaction() as tx:
                return escalation.escalate_overdue(tx, appeal_id, SETTINGS)
        except Conflict:  # the compare-and-set lost: another racer escalated it
            return False

    outcomes = list(eventlet.GreenPool().imap(escalate_in_own_transaction, range(8)))

    assert sorted(outcomes) == [False] * 7 + [True]
    assert appeal(store, appeal_id).level == "community"
    assert len(escalations(store, appeal_id)) == 1
    assert escalated_events(store) == {appeal_id: 1}


# -- two replicas ------------------------------------------------------------------------

SWEEPING = re.compile(r"process (\d+) sweeps for overdue appeals")
ESCALATED = re.compile(r"process (\d+) escalated \d+ overdue appeal\(s\): ([-0-9a-f ]+)")


def start_replica(log_path, amqp_uri, database_url):
    env = {
        **os.environ,
        "AMQP_URI": amqp_uri,
        "APPEALS_DATABASE_URL": database_url,
        "APPEALS_TIMER_INTERVAL": "0.2",
        "LOG_LEVEL": "INFO",
        "PYTHONWARNINGS": "ignore",
    }
    command = [
        str(Path(sys.executable).parent / "nameko"),
        "run",
        "--config",
        "services/appeals/config.yml",
        "appeals.service:AppealsService",
    ]
    log = open(log_path, "w")  # closed by stop()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    return process


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    process.log.close()


def test_two_replica_processes_escalate_each_overdue_appeal_exactly_once(
    store, database_url, test_config, tmp_path
):
    categories = ("daily", "safety", "infrastructure", "dispute", "legacy")
    overdue = [submit(store, categories[n % len(categories)]) for n in range(20)]
    for appeal_id in overdue[:5]:  # five taken on by the grid worker: escalating moves them too
        run(store, app.claim, WORKER, appeal_id)
    on_time = [submit(store) for _ in range(2)]
    top = [submit(store, "safety") for _ in range(2)]
    for appeal_id in top:  # already with the departments: overdue, but nowhere higher to go
        for actor in (WORKER, ADMIN, STREET_ADMIN):
            run(store, app.escalate, actor, appeal_id, {"reason": "大事"}, SETTINGS)
    let_deadlines_pass(store, top)
    logs = [tmp_path / f"replica-{n}.log" for n in (1, 2)]
    replicas = []
    try:
        for path in logs:
            replicas.append(start_replica(path, test_config["AMQP_URI"], database_url))

        def sweeping():
            for replica, path in zip(replicas, logs, strict=True):
                assert replica.poll() is None, f"a replica exited: {path.read_text()[-3000:]}"
            pids = {int(m) for path in logs for m in SWEEPING.findall(path.read_text())}
            return pids == {r.pid for r in replicas}

        # both processes are up and their timers running before anything is overdue
        wait_until(sweeping, timeout=60, interval=0.2, message="both replicas' timers to sweep")
        let_deadlines_pass(store, overdue)

        def all_escalated():
            with store.reading() as session:
                levels = session.scalars(select(Appeal.level).where(Appeal.id.in_(overdue)))
                return set(levels) == {"community"}

        wait_until(all_escalated, timeout=30, interval=0.1, message="every overdue appeal up")
    finally:
        for replica in replicas:
            stop(replica)  # SIGTERM: each finishes what it was doing, then exits

    for appeal_id in overdue:
        now = appeal(store, appeal_id)
        assert (now.level, now.status, now.handler_id) == ("community", "submitted", None)
        assert now.deadline_at > utcnow()
        ((actor, note),) = escalations(store, appeal_id)
        assert actor is None and "overdue" in note
    assert escalated_events(store) == {**dict.fromkeys(overdue, 1), **dict.fromkeys(top, 3)}
    for appeal_id in top:
        assert appeal(store, appeal_id).level == "department"
        assert len(escalations(store, appeal_id)) == 3  # the staff's three, none by the timer
    for appeal_id in on_time:
        assert appeal(store, appeal_id).level == "grid" and escalations(store, appeal_id) == []
    with store.reading() as session:
        by_timer = session.scalar(
            select(func.count())
            .select_from(TimelineEntry)
            .where(TimelineEntry.action == "escalate", TimelineEntry.actor_id.is_(None))
        )
    assert by_timer == len(overdue)  # and no other escalation by the timer anywhere

    # who did it: each appeal escalated by exactly one of the two processes
    by_process = {r.pid: [] for r in replicas}
    for path in logs:
        for pid, ids in ESCALATED.findall(path.read_text()):
            by_process[int(pid)].extend(ids.split())
    escalated_ids = [i for ids in by_process.values() for i in ids]
    assert sorted(escalated_ids) == sorted(overdue)
    print("escalations per replica process:", {p: len(i) for p, i in by_process.items()})
