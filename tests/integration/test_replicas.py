"""Replicas: two `nameko run` processes of every service at once, on PostgreSQL.

The deployment shape, natively: grid, appeals and volunteer run as two real
processes each (one database per service, shared by its replicas) and one
gateway, all on this module's own RabbitMQ vhost. The checks:

- work is shared: both processes of a service consume its RPC queue and its
  event queues, and RabbitMQ's own per-channel figures show deliveries to
  each of them; no effect happens twice (the red stars, entry by entry; every
  event in the consumer's inbox exactly once);
- a replica stopped with SIGTERM in the middle of work exits by itself and
  loses nothing: what it held returns to the queue for the other replica,
  what it had done is not done again.

One set of processes serves the module; a test that stops a replica starts
it again only where the next test needs it (`Cluster.ensure_running`).
"""

import json
import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import eventlet
import pytest
import requests
from api_client import Suite, build_community, next_phone
from conftest import DEMO_PASSWORD, PG_ADMIN_URL, _pg_admin
from kombu import Connection, Producer
from nameko.testing.utils import find_free_port
from processes import Management, ServiceProcess, local_ports
from sqlalchemy import text
from waiting import wait_until

from yzw_kernel.contracts import SUBSCRIPTIONS
from yzw_kernel.db import make_engine
from yzw_kernel.declare_queues import declare_all
from yzw_kernel.envelope import make_envelope
from yzw_kernel.outbox import event_exchange

pytestmark = pytest.mark.postgres_only

SERVICES = ("grid", "appeals", "volunteer")
REPLICAS = 2
START_TIMEOUT = 90  # seven Python processes starting at once on a small machine
STOP_TIMEOUT = 30  # a graceful stop waits for running workers, never longer than this
APPEAL = {"category": "infrastructure", "title": "楼道灯坏了", "description": "晚上一片漆黑"}
STARS = {"closed": 10, "five_bonus": 5, "visit": 2, "visits_per_day": 5}


def service_queues(service):
    """The shared queues a service's replicas consume: its RPC queue and its events."""
    return {f"rpc-{service}"} | {s.queue_name for s in SUBSCRIPTIONS if s.service == service}


@dataclass
class Cluster:
    suite: Suite
    replicas: dict
    gateway: ServiceProcess
    management: Management
    engines: dict
    amqp_uri: str
    grid_store: object
    figures: dict = field(default_factory=dict)

    def street(self):
        """A street of its own, with its admin: a test's names never collide with another's."""
        from grid.admin import create_street_admin

        phone = next_phone()
        street = create_street_admin(
            self.grid_store, f"街道{uuid.uuid4().hex[:8]}", "街道管理员", phone, DEMO_PASSWORD
        )
        return replace(self.suite, street_id=street["street_id"], admin_phone=phone)

    def processes(self):
        return [p for group in self.replicas.values() for p in group] + [self.gateway]

    def query(self, service, sql, **params):
        with self.engines[service].connect() as connection:
            return connection.execute(text(sql), params).all()

    def scalar(self, service, sql, **params):
        return self.query(service, sql, **params)[0][0]

    def owners(self):
        """Local TCP port -> the replica process that owns it."""
        return {port: p for p in self.processes() if p.alive() for port in local_ports(p.pid)}

    def consumers(self):
        """[(queue, replica label or None, channel name)] as the broker sees them."""
        owners = self.owners()
        found = []
        for consumer in self.management.consumers():
            channel = consumer["channel_details"]
            if not isinstance(channel, dict) or "name" not in channel:
                continue  # the broker lists a consumer before its channel's details ([])
            owner = owners.get(channel.get("peer_port"))
            found.append((consumer["queue"]["name"], owner and owner.label, channel["name"]))
        return found

    def consuming(self, process):
        """True once the broker shows `process` consuming every queue of its service."""
        queues = {q for q, label, _ in self.consumers() if label == process.label}
        return service_queues(process.service) <= queues

    def ensure_running(self, *services):
        """Both replicas of each named service, and at least one of every other, running."""
        started = []
        for service, group in self.replicas.items():
            wanted = group if service in services else group[:1]
            if service not in services and any(p.alive() for p in group):
                continue
            for process in wanted:
                if not process.alive():
                    started.append(process.start())
        for process in started:
            wait_until(
                lambda p=process: self._check_alive(p) and self.consuming(p),
                START_TIMEOUT,
                interval=0.2,
                message=f"{process.label} to consume its queues again",
            )

    def _check_alive(self, process):
        assert process.alive(), f"{process.label} exited:\n{process.log_tail()}"
        return True

    def logs(self):
        return "\n".join(f"--- {p.label}\n{p.log_tail(15)}" for p in self.processes())


@pytest.fixture(scope="module")
def cluster(request, postgres_reachable, vhost_pipeline, tmp_path_factory):
    if not postgres_reachable:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL is not reachable")
    from grid.admin import create_street_admin
    from grid.service import MIGRATIONS as GRID_MIGRATIONS
    from yzw_kernel.db import Store

    admin = _pg_admin()
    netloc = urlparse(PG_ADMIN_URL).netloc
    databases = {s: f"yzw_test_{uuid.uuid4().hex[:12]}" for s in SERVICES}
    urls = {s: f"postgresql://{netloc}/{name}" for s, name in databases.items()}
    processes = []
    engines = {}
    stores = []
    try:
        for name in databases.values():
            admin.run(f'CREATE DATABASE "{name}"')
        with vhost_pipeline.get() as vhost:
            amqp_uri = "{0.scheme}://{0.netloc}/{1}".format(
                urlparse(request.config.getoption("RABBIT_AMQP_URI")), vhost
            )
            declare_all(amqp_uri)  # as an operator does before a first deploy
            port = find_free_port()
            env = {
                **os.environ,
                "PYTHONWARNINGS": "ignore",
                "AMQP_URI": amqp_uri,
                **{f"{s.upper()}_DATABASE_URL": url for s, url in urls.items()},
                "OUTBOX_RELAY_INTERVAL": "0.5",
                "RPC_TIMEOUT": "10",
                "HEALTH_TIMEOUT": "3",
                "TOKEN_SECRET": "replicas-" + uuid.uuid4().hex,
                "GATEWAY_ADDRESS": f"127.0.0.1:{port}",
                "GATEWAY_SERVICES": ",".join(SERVICES),
            }
            log_dir = tmp_path_factory.mktemp("replicas")
            replicas = {
                s: [ServiceProcess(s, i, env, log_dir) for i in range(REPLICAS)] for s in SERVICES
            }
            gateway = ServiceProcess("gateway", 0, env, log_dir)
            processes = [p for group in replicas.values() for p in group] + [gateway]
            begun = time.monotonic()
            for process in processes:  # all at once: each takes seconds to import
                process.start()

            store = Store(
                urls["grid"], source="grid", migrations=GRID_MIGRATIONS, amqp_uri=amqp_uri
            )
            stores.append(store)
            store.migrate()  # replicas migrating at the same moment take turns
            street = create_street_admin(
                store, "昆都仑区", "街道管理员", "13800000001", DEMO_PASSWORD
            )

            base_url = f"http://127.0.0.1:{port}/api/v1"
            management = Management(request.config.getoption("RABBIT_API_URI"), vhost)
            engines = {s: make_engine(url, pool_size=2) for s, url in urls.items()}
            cluster = Cluster(
                suite=Suite(
                    base_url=base_url,
                    street_id=street["street_id"],
                    admin_phone="13800000001",
                    password=DEMO_PASSWORD,
                    containers={},
                    database_url=urls["grid"],
                    database_urls=urls,
                    amqp_uri=amqp_uri,
                ),
                replicas=replicas,
                gateway=gateway,
                management=management,
                engines=engines,
                amqp_uri=amqp_uri,
                grid_store=store,
            )

            def healthy():
                for process in processes:
                    cluster._check_alive(process)
                try:
                    return requests.get(base_url + "/health", timeout=5).status_code == 200
                except requests.RequestException:
                    return False

            wait_until(healthy, START_TIMEOUT, interval=0.5, message="the suite's health")
            for process in processes[:-1]:
                wait_until(
                    lambda p=process: cluster.consuming(p),
                    START_TIMEOUT,
                    interval=0.2,
                    message=f"{process.label} consuming",
                )
            cluster.figures["start_seconds"] = round(time.monotonic() - begun, 1)
            try:
                yield cluster
            finally:
                for process in processes:
                    process.kill()
    finally:
        for process in processes:
            process.kill()
        for store in stores:
            store.dispose()
        for engine in engines.values():
            engine.dispose()
        for name in databases.values():
            admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# -- helpers -----------------------------------------------------------------------


def resident_of(suite, admin, household_id):
    phone = next_phone()
    admin.created(
        "/people",
        {"name": "居民", "phone": phone, "password": suite.password, "household_id": household_id},
    )
    return suite.anonymous().login(phone, suite.password)


def stars_for(rating):
    return STARS["closed"] + (STARS["five_bonus"] if rating == 5 else 0)


def ledger_of(cluster, person_id):
    """(balance, entries, distinct sources) of a person's red-star account."""
    rows = cluster.query(
        "volunteer",
        "SELECT a.balance, count(e.id), count(DISTINCT e.source), coalesce(sum(e.amount), 0)"
        " FROM accounts a LEFT JOIN entries e ON e.account_id = a.id"
        " WHERE a.owner_kind = 'person' AND a.owner_id = :owner GROUP BY a.balance",
        owner=person_id,
    )
    if not rows:
        return None
    balance, entries, sources, total = rows[0]
    assert balance == total, f"{person_id}: balance {balance} != sum of entries {total}"
    return balance, entries, sources


def outbox_ids(cluster, service, event_type):
    rows = cluster.query(
        service,
        "SELECT event_id, published_at FROM outbox WHERE event_type = :type",
        type=event_type,
    )
    return {event_id for event_id, _ in rows}, sum(1 for _, at in rows if at is None)


def inbox_ids(cluster, source, event_type):
    """The events volunteer has handled; its inbox names them `source.event_type`."""
    rows = cluster.query(
        "volunteer",
        "SELECT event_id FROM inbox WHERE event_type = :type",
        type=f"{source}.{event_type}",
    )
    return {event_id for (event_id,) in rows}


def all_delivered(cluster, service, event_type):
    """Every event of this type in the producer's outbox is published and handled."""
    sent, pending = outbox_ids(cluster, service, event_type)
    return pending == 0 and sent <= inbox_ids(cluster, service, event_type)


def wait_delivered(cluster, service, event_type, timeout=30):
    try:
        wait_until(
            lambda: all_delivered(cluster, service, event_type),
            timeout,
            interval=0.2,
            message=f"every {service}.{event_type} published and in volunteer's inbox",
        )
    except AssertionError as timed_out:
        sent, pending = outbox_ids(cluster, service, event_type)
        missing = sent - inbox_ids(cluster, service, event_type)
        raise AssertionError(
            f"{timed_out}: {len(sent)} in the outbox, {pending} unpublished, "
            f"{len(missing)} never handled: {sorted(missing)[:5]}\n{cluster.logs()}"
        ) from None


def stop_mid_work(victim, progress, threshold, total):
    """SIGTERM `victim` once `progress()` reaches `threshold` of `total`, while the
    rest is still in flight; returns (progress at SIGTERM, seconds until it exited)."""
    wait_until(lambda: progress() >= threshold, 30, interval=0.01, message="the burst under way")
    victim.terminate()
    stopped_at = time.monotonic()
    done = progress()
    assert done < total, f"the burst was over ({done}/{total}) before SIGTERM: make it longer"
    return done, await_exit(victim, stopped_at)


def await_exit(victim, stopped_at):
    """The stopped replica exits by itself, cleanly; returns seconds since SIGTERM."""
    try:
        code = victim.wait(max(1, STOP_TIMEOUT - (time.monotonic() - stopped_at)))
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"{victim.label} did not stop within {STOP_TIMEOUT}s of SIGTERM:\n{victim.log_tail()}"
        ) from None
    assert code == 0, f"{victim.label} exited with {code} after SIGTERM:\n{victim.log_tail()}"
    return round(time.monotonic() - stopped_at, 2)


def settle(seconds=2.0):
    """Give a late duplicate the time to show: several relay intervals."""
    time.sleep(seconds)


# -- work is shared, nothing happens twice ----------------------------------------------


def test_two_replicas_of_each_service_share_the_work_and_no_effect_happens_twice(cluster):
    cluster.ensure_running(*SERVICES)
    suite = cluster.street()
    ids = build_community(suite, grids=3)
    admin = suite.admin()
    residents = [resident_of(suite, admin, homes[0]) for homes in ids["households"]]
    workers = [suite.anonymous().login(p, suite.password) for p in ids["worker_phones"]]
    pool = eventlet.GreenPool(8)

    def journey(k):
        g = k % 3
        rating = (5, 4, 3)[(k // 3) % 3]
        home = ids["households"][g][0]
        created = residents[g].created("/appeals", {**APPEAL, "household_id": home})
        assert created["assignee"] == {"kind": "person", "id": ids["workers"][g]}
        appeal = f"/appeals/{created['id']}"
        claimed = workers[g].post(f"{appeal}/claim")
        assert claimed.status_code == 200, claimed.text
        resolved = workers[g].post(f"{appeal}/resolve", {"resolution": "已修好"})
        assert resolved.status_code == 200, resolved.text
        rated = residents[g].post(f"{appeal}/rate", {"score": rating})
        assert rated.status_code == 200, rated.text
        return g, rating, rated.json()["status"]

    visits_each = 7  # more than a day's cap: the cap must hold across replicas too

    def visit(k):
        g = k % 3
        response = workers[g].post("/visits", {"household_id": ids["households"][g][k % 2]})
        assert response.status_code == 201, response.text
        return g

    journeys = list(pool.imap(journey, range(30)))
    visits = list(pool.imap(visit, range(3 * visits_each)))

    assert [status for _, _, status in journeys] == ["closed"] * 30
    expected = {g: [0, 0] for g in range(3)}  # grid -> [stars, entries]
    for g, rating, _ in journeys:
        expected[g][0] += stars_for(rating)
        expected[g][1] += 1
    for g in set(visits):
        paid = min(visits.count(g), STARS["visits_per_day"])
        expected[g][0] += paid * STARS["visit"]
        expected[g][1] += paid

    for event_type in ("person_registered", "visit_logged"):
        wait_delivered(cluster, "grid", event_type)
    wait_delivered(cluster, "appeals", "appeal_closed")
    settle()
    closed, _ = outbox_ids(cluster, "appeals", "appeal_closed")
    assert len(closed) == 30  # one event per closed appeal, no more
    for g, worker in enumerate(ids["workers"]):
        stars, entries = expected[g]
        visit_entries, counted = cluster.query(
            "volunteer",
            "SELECT (SELECT count(*) FROM entries e JOIN accounts a ON a.id = e.account_id"
            "        WHERE a.owner_id = :who AND e.source LIKE 'visit:%'),"
            " (SELECT coalesce(sum(count), 0) FROM visit_awards WHERE person_id = :who)",
            who=worker,
        )[0]
        assert ledger_of(cluster, worker) == (stars, entries, entries), (
            f"grid {g + 1}'s worker: (balance, entries, sources) != expected; "
            f"{visits.count(g)} visits logged, {visit_entries} paid "
            f"(daily cap {STARS['visits_per_day']}), visit_awards counted {counted}"
        )
        # and the API agrees
        assert workers[g].get(f"/stars/{worker}").json()["balance"] == stars

    # -- the broker's view: both replicas consume, both were delivered messages --
    consumers = cluster.consumers()
    for service in SERVICES:
        for queue in sorted(service_queues(service)):
            labels = {label for q, label, _ in consumers if q == queue}
            assert labels == {p.label for p in cluster.replicas[service]}, (queue, labels)
    channels = {label: name for _, label, name in consumers if label}

    def deliveries():
        figures = {}
        for label, name in channels.items():
            stats = cluster.management.channel(name).get("message_stats") or {}
            figures[label] = (stats.get("deliver_get", 0), stats.get("ack", 0))
        return figures

    figures = wait_until(
        lambda: (f := deliveries()) and all(d > 0 and a > 0 for d, a in f.values()) and f,
        20,
        interval=1,
        message="the broker's statistics to show deliveries to every replica",
    )
    cluster.figures["deliveries"] = figures
    print(f"\nreplicas: started in {cluster.figures['start_seconds']}s")
    print(f"replicas: (deliver_get, ack) per replica channel: {figures}")
    for service in SERVICES:
        for process in cluster.replicas[service]:
            delivered, acked = figures[process.label]
            assert delivered > 0 and acked > 0, (process.label, figures)


# -- SIGTERM in the middle of work ----------------------------------------------------


def test_a_consumer_replica_stopped_mid_burst_of_events_loses_nothing_and_pays_once(cluster):
    cluster.ensure_running("volunteer")
    victim, other = cluster.replicas["volunteer"]
    handler = str(uuid.uuid4())
    burst = 300
    envelopes = [
        make_envelope(
            "appeals",
            "appeal_closed",
            {
                "appeal_id": str(uuid.uuid4()),
                "number": f"2026-{n:06d}",
                "community_id": str(uuid.uuid4()),
                "grid_id": str(uuid.uuid4()),
                "category": "daily",
                "status": "closed",
                "level": "grid",
                "assignee_kind": "person",
                "assignee_id": handler,
                "actor_id": None,
                "handler_id": handler,
                "rating": 5,
            },
        )
        for n in range(burst)
    ]
    with Connection(cluster.amqp_uri) as connection:
        producer = Producer(connection.default_channel)
        for envelope in envelopes:
            producer.publish(
                json.dumps(envelope),
                exchange=event_exchange("appeals"),
                routing_key="appeal_closed",
                content_type="application/json",
                delivery_mode=2,
            )

    def paid():
        ledger = ledger_of(cluster, handler)
        return ledger[1] if ledger else 0

    at_stop, seconds = stop_mid_work(victim, paid, 10, burst)
    cluster.figures["volunteer_stop_seconds"] = seconds
    assert other.alive()

    sent = {e["id"] for e in envelopes}
    wait_until(
        lambda: sent <= inbox_ids(cluster, "appeals", "appeal_closed"),
        30,
        interval=0.2,
        message="every event of the burst handled",
    )
    settle()
    assert ledger_of(cluster, handler) == (15 * burst, burst, burst)
    print(f"\nreplicas: volunteer#0 exited {seconds}s after SIGTERM; {at_stop}/{burst} paid then")


def test_a_replica_stopped_mid_burst_of_rpc_writes_does_each_write_once(cluster):
    """grid's log_visit is not idempotent: a request a stopping replica has taken
    must be written once, never also run again by the other replica.

    The test holds a lock on grid's `visits` table, so every request of the burst
    is in flight (taken, not acknowledged) when one replica gets SIGTERM."""
    cluster.ensure_running("grid")
    victim, other = cluster.replicas["grid"]
    suite = cluster.street()
    ids = build_community(suite, grids=1)
    worker_id = ids["workers"][0]
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    burst = 20  # both replicas' ten workers each: the victim surely holds ten
    now = datetime.now(UTC)

    def visit(n):
        # one visit a day, so the daily cap does not decide the stars
        visited_at = (now - timedelta(days=n + 1)).isoformat()
        return worker.post(
            "/visits", {"household_id": ids["households"][0][0], "visited_at": visited_at}
        )

    def blocked():
        return cluster.scalar(
            "grid",
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )

    pool = eventlet.GreenPool(burst)
    with cluster.engines["grid"].connect() as lock:
        holding = lock.begin()
        lock.execute(text("LOCK TABLE visits IN EXCLUSIVE MODE"))
        threads = [pool.spawn(visit, n) for n in range(burst)]
        wait_until(
            lambda: blocked() >= burst,
            20,
            interval=0.2,
            message="every request of the burst in flight",
        )
        victim.terminate()
        stopped_at = time.monotonic()
        time.sleep(1.5)  # the stopping replica gives up its queue meanwhile
        holding.commit()
    seconds = await_exit(victim, stopped_at)
    cluster.figures["grid_stop_seconds"] = seconds
    responses = [t.wait() for t in threads]
    assert other.alive()

    assert [r.status_code for r in responses] == [201] * burst, [
        r.text for r in responses if r.status_code != 201
    ]
    answered = {r.json()["id"] for r in responses}
    written = {
        visit_id
        for (visit_id,) in cluster.query(
            "grid", "SELECT id FROM visits WHERE visitor_id = :who", who=worker_id
        )
    }
    assert len(answered) == burst
    assert written == answered, (
        f"{len(written)} visits written for {burst} requests answered: "
        f"{len(written - answered)} written again by the other replica after SIGTERM"
    )
    wait_delivered(cluster, "grid", "visit_logged")
    settle()
    assert ledger_of(cluster, worker_id) == (STARS["visit"] * burst, burst, burst)
    print(f"\nreplicas: grid#0 exited {seconds}s after SIGTERM with {burst} requests in flight")


def test_a_producer_replica_stopped_mid_burst_publishes_everything_it_committed(cluster):
    cluster.ensure_running("appeals")
    victim, other = cluster.replicas["appeals"]
    suite = cluster.street()
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    home = ids["households"][0][0]
    resident = resident_of(suite, admin, home)
    worker_id = ids["workers"][0]
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    pool = eventlet.GreenPool(8)

    def resolved_appeal(_):
        appeal = "/appeals/" + resident.created("/appeals", {**APPEAL, "household_id": home})["id"]
        assert worker.post(f"{appeal}/claim").status_code == 200
        assert worker.post(f"{appeal}/resolve", {"resolution": "好了"}).status_code == 200
        return appeal

    burst = 24
    appeals = list(pool.imap(resolved_appeal, range(burst)))
    answers = []

    def rate(appeal):
        response = resident.post(f"{appeal}/rate", {"score": 5})
        answers.append(response)
        return response

    threads = [pool.spawn(rate, appeal) for appeal in appeals]
    at_stop, seconds = stop_mid_work(victim, lambda: len(answers), 3, burst)
    cluster.figures["appeals_stop_seconds"] = seconds
    responses = [t.wait() for t in threads]
    assert other.alive()

    assert [r.status_code for r in responses] == [200] * burst, [
        r.text for r in responses if r.status_code != 200
    ]
    assert {r.json()["status"] for r in responses} == {"closed"}
    appeal_ids = [a.rsplit("/", 1)[1] for a in appeals]
    closed_events = cluster.query(
        "appeals",
        "SELECT payload FROM outbox WHERE event_type = 'appeal_closed'",
    )
    mine = [
        json.loads(payload)["data"]["appeal_id"]
        for (payload,) in closed_events
        if json.loads(payload)["data"]["appeal_id"] in appeal_ids
    ]
    assert sorted(mine) == sorted(appeal_ids)  # each closed once, each event written once
    wait_delivered(cluster, "appeals", "appeal_closed")
    settle()
    assert ledger_of(cluster, worker_id) == (15 * burst, burst, burst)
    print(f"\nreplicas: appeals#0 exited {seconds}s after SIGTERM; {at_stop}/{burst} rated then")
