"""The chaos run: appeal journeys and donations through the real suite, under faults.

`make chaos` runs it at full size; `tests/integration/test_chaos.py` runs a
shorter version in `make test`. Every service and the gateway run as real
`nameko run` processes on PostgreSQL (a database each, created for the run
and dropped after it) and a RabbitMQ virtual host of the run's own. Clients
drive appeal journeys (a resident submits, the grid worker claims and
resolves, the resident rates: closed, and volunteer pays the handler red
stars) and donations with an Idempotency-Key, while, in turn:

1. volunteer is killed (SIGKILL) after it committed the stars for an
   `appeals.appeal_closed` event, before RabbitMQ heard its ack;
2. appeals is killed after committing a rating that closed an appeal, before
   its relay published `appeal_closed`; funding likewise after committing a
   donation, before publishing `donation_received`;
3. RabbitMQ itself is restarted (`rabbitmqctl stop_app` / `start_app`);
4. throughout, every event is delivered a second time (a duplicator copies
   each event it sees back onto its exchange).

Killed processes are started again, as `restart: unless-stopped` would. The
clients behave as a careful app would: an answer that never came (a 5xx, a
dropped connection) is checked by reading before the step is tried again,
and a donation is retried with its Idempotency-Key. At the end the run counts,
from the services' own databases: journeys lost, stars missing and doubled,
donations lost and doubled, ledger imbalance; it prints them and fails unless
every count is zero and every fault happened.

    python tests/support/chaos.py --journeys 2000 --donations 1000
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import pg_admin  # noqa: E402
import requests  # noqa: E402
from kombu import Connection, Exchange, Producer, Queue  # noqa: E402
from processes import ServiceProcess  # noqa: E402
from rabbit_admin import create_vhost, delete_vhost  # noqa: E402
from sqlalchemy import text  # noqa: E402

from yzw_kernel.db import make_engine  # noqa: E402

SERVICES = ("grid", "appeals", "volunteer", "funding")
PASSWORD = "yizhangwang"
COPY_HEADER = "x-chaos-copy"
CHANNELS = ("caring", "public_welfare", "leading", "mutual_aid")
STARS = {5: 15, 4: 10}  # the default STARS_*: 10 for a closed appeal, 5 more for a 5


class Unexpected(Exception):
    """An answer no fault explains (a 4xx that should not be): the run fails."""


@dataclass
class Settings:
    journeys: int = 2000
    donations: int = 1000
    clients: int = 12
    residents: int = 24
    grids: int = 4
    restart_broker: bool = True
    amqp_api: str = "http://guest:guest@127.0.0.1:15672"
    amqp_host: str = "guest:guest@127.0.0.1:5672"
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    step_deadline: float = 180.0  # seconds a client keeps trying one step
    settle_timeout: float = 180.0
    log_dir: str | None = None
    quiet: bool = False


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    journeys: dict = field(default_factory=dict)  # n -> (appeal id, handler id, stars)
    unfinished: list = field(default_factory=list)
    donations: dict = field(default_factory=dict)  # note -> amount in fen
    failed_donations: list = field(default_factory=list)
    ambiguous: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    duplicated: int = 0

    def progress(self):
        with self.lock:
            return len(self.journeys) + len(self.unfinished)


# -- resources of the run's own -------------------------------------------------


class Resources:
    """A vhost and a PostgreSQL database per service, removed at the end."""

    def __init__(self, settings):
        self.settings = settings
        self.tag = uuid.uuid4().hex[:10]
        self.vhost = f"chaos_{self.tag}"
        self.databases = {s: f"chaos_{self.tag}_{s}" for s in SERVICES}

    @property
    def amqp_uri(self):
        return f"pyamqp://{self.settings.amqp_host}/{self.vhost}"

    def database_url(self, service):
        parts = urlsplit(self.settings.postgres_url)
        return urlunsplit(parts._replace(path="/" + self.databases[service]))

    def create(self):
        create_vhost(self.settings.amqp_api, self.vhost)
        admin = self._postgres()
        try:
            for name in self.databases.values():
                admin.run(f'CREATE DATABASE "{name}"')
        finally:
            admin.close()

    def _postgres(self):
        return pg_admin.connect(self.settings.postgres_url)

    def remove(self):
        delete_vhost(self.settings.amqp_api, self.vhost)
        admin = self._postgres()
        try:
            for name in self.databases.values():
                admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.close()


# -- the broker: a duplicator, and a restart --------------------------------------


class Duplicator:
    """Delivers every event a second time: each event seen on a service's
    exchange is published again, once, with the same routing key."""

    def __init__(self, amqp_uri, tally):
        self.amqp_uri = amqp_uri
        self.tally = tally
        self.running = True
        self.thread = threading.Thread(target=self._run, name="duplicator", daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.running = False
        self.thread.join(timeout=10)

    def _run(self):
        while self.running:
            try:
                self._consume()
            except Exception:  # noqa: BLE001 - the broker restarts under us: reconnect
                time.sleep(0.5)

    def _consume(self):
        with Connection(self.amqp_uri, connect_timeout=5) as connection:
            channel = connection.channel()
            queue = Queue("chaos.duplicator", durable=True, auto_delete=False)
            bound = queue(channel)
            bound.declare()
            for source in SERVICES:
                exchange = Exchange(f"{source}.events", type="topic", durable=True)
                exchange(channel).declare()
                bound.bind_to(exchange=exchange.name, routing_key="#")
            producer = Producer(connection.channel())

            def copy(body, message):
                headers = dict(message.headers or {})
                if not headers.get(COPY_HEADER):
                    producer.publish(
                        message.body,
                        exchange=message.delivery_info["exchange"],
                        routing_key=message.delivery_info["routing_key"],
                        headers={**headers, COPY_HEADER: 1},
                        content_type=message.content_type,
                        content_encoding=message.content_encoding,
                        delivery_mode=2,
                        retry=False,
                    )
                    with self.tally.lock:
                        self.tally.duplicated += 1
                message.ack()

            with connection.Consumer(bound, callbacks=[copy], accept=["json"]):
                while self.running:
                    try:
                        connection.drain_events(timeout=0.5)
                    except TimeoutError:
                        continue


def restart_broker(settings, say):
    """Stop and start RabbitMQ's application: every connection drops; durable
    queues and persistent messages come back."""
    say("chaos: restarting RabbitMQ")
    subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True, timeout=120)
    time.sleep(1.0)
    subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True, timeout=120)
    deadline = time.monotonic() + 90
    api = settings.amqp_api.rstrip("/") + "/api/overview"
    while time.monotonic() < deadline:
        try:
            if requests.get(api, timeout=2).status_code == 200:
                say("chaos: RabbitMQ is back")
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("RabbitMQ did not come back within 90 s")


# -- the services, supervised -------------------------------------------------------


# What the chaos run sets for every process: events relayed and retried sooner.
CHAOS_TUNING = {
    "OUTBOX_RELAY_INTERVAL": "0.5",
    "EVENT_RETRY_DELAY": "0.5",
    "EVENT_MAX_ATTEMPTS": "8",
    "LOG_LEVEL": "WARNING",
}


class Supervisor:
    """Starts every service once with its faults armed; starts again (unarmed)
    whatever dies, as `restart: unless-stopped` would. `tuning` is settings
    every process gets (the benchmark keeps the defaults: no faults, no tuning)."""

    def __init__(self, resources, settings, tally, faults, log_dir, say, tuning=None):
        self.tally = tally
        self.say = say
        self.port = _free_port()
        base = {
            **os.environ,
            "PYTHONWARNINGS": "ignore",
            "AMQP_URI": resources.amqp_uri,
            "TOKEN_SECRET": "chaos-" + uuid.uuid4().hex,
            "GATEWAY_ADDRESS": f"127.0.0.1:{self.port}",
            "GATEWAY_SERVICES": ",".join(SERVICES),
            **(CHAOS_TUNING if tuning is None else tuning),
        }
        base.pop("YZW_FAULTS", None)
        for service in SERVICES:
            base[f"{service.upper()}_DATABASE_URL"] = resources.database_url(service)
        self.base_env = base
        self.processes = {}
        self.armed = set(faults)  # each armed process dies once, by SIGKILL, on purpose
        for name in (*SERVICES, "gateway"):
            env = dict(base)
            if faults.get(name):
                env["YZW_FAULTS"] = faults[name]
            self.processes[name] = ServiceProcess(name, 1, env, log_dir)
        self.running = False
        self.thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}/api/v1"

    def start(self):
        for process in self.processes.values():
            process.start()
        self.running = True
        self.thread.start()

    def _watch(self):
        while self.running:
            for name, process in self.processes.items():
                code = process.process.poll()
                if code is not None and self.running:
                    planned = name in self.armed and code == -9
                    self.armed.discard(name)
                    self.say(f"chaos: {name} died (exit {code}); starting it again")
                    with self.tally.lock:
                        if planned:
                            self.tally.faults[f"{name} killed"] += 1
                        else:
                            self.tally.faults[f"{name} exited unexpectedly"] += 1
                    process.env = dict(self.base_env)  # armed once only
                    process.start()
            time.sleep(0.2)

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)
        for process in self.processes.values():
            if process.alive():
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _free_port():
    from nameko.testing.utils import find_free_port

    return find_free_port()


# -- clients --------------------------------------------------------------------------


class Client:
    """One person's app: retries what may not have happened, checks before repeating."""

    def __init__(self, base_url, token, person_id, deadline):
        self.base_url = base_url
        self.token = token
        self.person_id = person_id
        self.deadline = deadline
        self.local = threading.local()

    @property
    def http(self):
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
            self.local.session.headers["Authorization"] = f"Bearer {self.token}"
        return self.local.session

    def send(self, method, path, body=None, headers=None):
        """The response, or None if no answer came (the outcome is unknown)."""
        try:
            response = self.http.request(
                method, self.base_url + path, json=body, headers=headers, timeout=30
            )
        except requests.RequestException:
            return None
        return None if response.status_code >= 500 else response

    def read(self, path):
        """GET until it answers."""
        until = time.monotonic() + self.deadline
        while time.monotonic() < until:
            response = self.send("GET", path)
            if response is not None and response.status_code == 200:
                return response.json()
            time.sleep(0.3)
        raise Unexpected(f"GET {path} never answered")


def login(base_url, phone):
    until = time.monotonic() + 60
    while time.monotonic() < until:
        try:
            response = requests.post(
                base_url + "/auth/login", json={"phone": phone, "password": PASSWORD}, timeout=30
            )
            if response.status_code == 200:
                body = response.json()
                return body["token"], body["person"]["id"]
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise Unexpected(f"could not log in as {phone}")


@dataclass
class World:
    """What build_world made: residents as (client, household id, their grid
    worker's client), the treasurer's client, the fund, the community and the
    street admin's client (who administers the community)."""

    residents: list
    cashier: Client
    fund_id: str
    community_id: str
    admin: Client


def build_world(base_url, resources, settings, say):
    """A street with its admin, one community, `grids` grids with a worker
    each, residents spread over the grids' households, a treasurer and a fund."""
    from grid.admin import create_street_admin
    from grid.service import MIGRATIONS
    from yzw_kernel.db import Store

    admin_phone = "139" + str(random.randint(10**7, 10**8 - 1))
    store = Store(resources.database_url("grid"), source="grid", migrations=MIGRATIONS)
    store.migrate()
    create_street_admin(store, "混沌街道", "街道管理员", admin_phone, PASSWORD)
    store.dispose()

    token, _ = login(base_url, admin_phone)
    admin = Client(base_url, token, None, settings.step_deadline)

    def created(path, body):
        response = admin.send("POST", path, body)
        if response is None or response.status_code != 201:
            raise Unexpected(f"POST {path}: {response and response.text}")
        return response.json()

    phones = iter(range(10**7, 10**8))
    base = random.randint(100, 899) * 10**8

    def phone():
        return "13" + str(base + next(phones))[-9:]

    community = created("/communities", {"name": "混沌社区"})
    estate = created("/estates", {"community_id": community["id"], "name": "一区"})
    workers, homes = [], []
    for g in range(settings.grids):
        grid = created("/grids", {"community_id": community["id"], "name": f"第{g + 1}网格"})
        building = created(
            "/buildings", {"estate_id": estate["id"], "grid_id": grid["id"], "name": f"{g + 1}号楼"}
        )
        unit = created("/units", {"building_id": building["id"], "name": "1单元"})
        grid_homes = [
            created("/households", {"unit_id": unit["id"], "number": f"{k + 101}"})["id"]
            for k in range(max(1, settings.residents // settings.grids))
        ]
        worker_phone = phone()
        worker = created(
            "/people",
            {
                "name": f"网格员{g + 1}",
                "phone": worker_phone,
                "password": PASSWORD,
                "household_id": grid_homes[0],
            },
        )
        role = admin.send(
            "POST", f"/grids/{grid['id']}/roles", {"person_id": worker["id"], "role": "grid_worker"}
        )
        if role is None or role.status_code != 201:
            raise Unexpected(f"grid worker role: {role and role.text}")
        workers.append(Client(base_url, *login(base_url, worker_phone), settings.step_deadline))
        homes.append(grid_homes)

    residents = []
    for r in range(settings.residents):
        g = r % settings.grids
        home = homes[g][(r // settings.grids) % len(homes[g])]
        resident_phone = phone()
        created(
            "/people",
            {
                "name": f"居民{r + 1}",
                "phone": resident_phone,
                "password": PASSWORD,
                "household_id": home,
            },
        )
        client = Client(base_url, *login(base_url, resident_phone), settings.step_deadline)
        residents.append((client, home, workers[g]))

    treasurer_phone = phone()
    treasurer = created(
        "/people",
        {
            "name": "出纳",
            "phone": treasurer_phone,
            "password": PASSWORD,
            "household_id": homes[0][0],
        },
    )
    granted = admin.send(
        "POST",
        f"/communities/{community['id']}/admins",
        {"person_id": treasurer["id"], "role": "treasurer"},
    )
    if granted is None or granted.status_code not in (200, 201):
        raise Unexpected(f"treasurer: {granted and granted.text}")
    fund = created("/funds", {"name": "混沌共建实践金", "community_id": community["id"]})
    cashier = Client(base_url, *login(base_url, treasurer_phone), settings.step_deadline)
    say(f"chaos: world ready: {settings.grids} grids, {len(residents)} residents, a fund")
    return World(residents, cashier, fund["id"], community["id"], admin)


class Driver:
    def __init__(self, run_tag, residents, cashier, fund_id, settings, tally):
        self.tag = run_tag
        self.residents = residents
        self.cashier = cashier
        self.fund_id = fund_id
        self.settings = settings
        self.tally = tally

    def _ambiguous(self, what):
        with self.tally.lock:
            self.tally.ambiguous[what] += 1

    def journey(self, n):
        resident, home, worker = self.residents[n % len(self.residents)]
        title = f"混沌{self.tag}-{n}"
        score = 5 if n % 2 == 0 else 4
        try:
            appeal_id = self._submit(resident, home, title)
            self._step(worker, appeal_id, "claim", None, {"claimed", "resolved", "closed"})
            self._step(
                worker, appeal_id, "resolve", {"resolution": "已处理"}, {"resolved", "closed"}
            )
            self._step(resident, appeal_id, "rate", {"score": score}, {"closed"})
        except Exception as error:  # noqa: BLE001 - Unexpected, or a bug: counted, not lost
            with self.tally.lock:
                self.tally.unfinished.append((n, repr(error)))
            return
        with self.tally.lock:
            self.tally.journeys[n] = (appeal_id, worker.person_id, STARS[score])

    def _submit(self, resident, home, title):
        body = {
            "category": "infrastructure",
            "title": title,
            "description": "混沌测试",
            "household_id": home,
        }
        until = time.monotonic() + self.settings.step_deadline
        while time.monotonic() < until:
            response = resident.send("POST", "/appeals", body)
            if response is not None and response.status_code == 201:
                return response.json()["id"]
            if response is not None:
                raise Unexpected(f"submit: {response.status_code} {response.text}")
            self._ambiguous("submit")
            page = resident.read("/appeals?mine=true&limit=50")
            for item in page["items"]:
                if item["title"] == title:
                    return item["id"]
            time.sleep(0.3)
        raise Unexpected("submit never went through")

    def _step(self, client, appeal_id, action, body, reached):
        path = f"/appeals/{appeal_id}"
        until = time.monotonic() + self.settings.step_deadline
        while time.monotonic() < until:
            response = client.send("POST", f"{path}/{action}", body)
            if response is not None and response.status_code == 200:
                return
            if response is not None and response.status_code != 409:
                raise Unexpected(f"{action}: {response.status_code} {response.text}")
            self._ambiguous(action)
            if client.read(path)["status"] in reached:
                return
            time.sleep(0.3)
        raise Unexpected(f"{action} never went through")

    def donation(self, n):
        try:
            self._donate(n)
        except Exception as error:  # noqa: BLE001 - counted, not lost in a future
            with self.tally.lock:
                self.tally.failed_donations.append((n, repr(error)))

    def _donate(self, n):
        note = f"chaos:{self.tag}:{n}"
        body = {
            "channel": CHANNELS[n % len(CHANNELS)],
            "amount_fen": 100 + n,
            "donor_name": f"捐赠人{n}",
            "donor_kind": "person",
            "note": note,
        }
        key = {"Idempotency-Key": str(uuid.uuid4())}
        until = time.monotonic() + self.settings.step_deadline
        while time.monotonic() < until:
            response = self.cashier.send(
                "POST", f"/funds/{self.fund_id}/donations", body, headers=key
            )
            if response is not None and response.status_code in (200, 201):
                with self.tally.lock:
                    self.tally.donations[note] = body["amount_fen"]
                return
            if response is not None:
                with self.tally.lock:
                    self.tally.failed_donations.append(
                        (n, f"{response.status_code} {response.text}")
                    )
                return
            self._ambiguous("donate")
            time.sleep(0.3)
        with self.tally.lock:
            self.tally.failed_donations.append((n, "never went through"))


# -- counting -------------------------------------------------------------------------


def count(resources, tally, run_tag):
    appeals = make_engine(resources.database_url("appeals"))
    volunteer = make_engine(resources.database_url("volunteer"))
    funding = make_engine(resources.database_url("funding"))
    try:
        with appeals.connect() as c:
            rows = c.execute(
                text("SELECT id, status FROM appeals WHERE title LIKE :t"),
                {"t": f"混沌{run_tag}-%"},
            ).all()
        status = {str(r.id): r.status for r in rows}
        with volunteer.connect() as c:
            entries = c.execute(
                text(
                    "SELECT e.source, e.amount, a.owner_id FROM entries e "
                    "JOIN accounts a ON a.id = e.account_id WHERE e.source LIKE 'appeal:%'"
                )
            ).all()
            star_balances_off = c.scalar(
                text(
                    "SELECT count(*) FROM accounts a WHERE a.balance <> "
                    "(SELECT coalesce(sum(e.amount), 0) FROM entries e WHERE e.account_id = a.id)"
                )
            )
        paid = {}
        for source, amount, owner in entries:
            paid.setdefault(source.removeprefix("appeal:"), []).append((amount, str(owner)))
        with funding.connect() as c:
            notes = Counter(
                r.note
                for r in c.execute(
                    text("SELECT note FROM donations WHERE note LIKE :t"),
                    {"t": f"chaos:{run_tag}:%"},
                )
            )
            unbalanced_fen = c.scalar(
                text(
                    "SELECT coalesce(sum(abs(s)), 0) FROM (SELECT sum(amount) AS s "
                    "FROM ledger_entries GROUP BY transaction_id) t"
                )
            )
            balances_off = c.scalar(
                text(
                    "SELECT count(*) FROM balances b WHERE b.balance <> (SELECT "
                    "coalesce(sum(e.amount), 0) FROM ledger_entries e WHERE "
                    "e.fund_id = b.fund_id AND e.account = b.account)"
                )
            )
            available = c.scalar(
                text("SELECT coalesce(sum(balance), 0) FROM balances WHERE account = 'available'")
            )
    finally:
        for engine in (appeals, volunteer, funding):
            engine.dispose()

    journeys = tally.journeys.values()
    missing = sum(1 for appeal_id, _, _ in journeys if appeal_id not in paid)
    doubled = sum(1 for appeal_id, _, _ in journeys if len(paid.get(appeal_id, ())) > 1)
    wrong = sum(
        1
        for appeal_id, handler, stars in journeys
        if len(paid.get(appeal_id, ())) == 1 and paid[appeal_id][0] != (stars, handler)
    )
    return {
        "journeys lost": sum(1 for a, _, _ in journeys if status.get(a) != "closed"),
        "journeys unfinished": len(tally.unfinished),
        "stars missing": missing,
        "stars doubled": doubled,
        "stars to the wrong person or amount": wrong,
        "star balances off": int(star_balances_off),
        "donations lost": sum(1 for note in tally.donations if notes[note] == 0),
        "donations doubled": sum(1 for note in tally.donations if notes[note] > 1),
        "donations refused": len(tally.failed_donations),
        "ledger imbalance (fen)": int(unbalanced_fen),
        "ledger balances off": int(balances_off),
        "fund available off (fen)": abs(int(available) - sum(tally.donations.values())),
    }


def settled(resources, tally):
    """Every journey's stars are in, and no outbox holds an unpublished event."""
    wanted = {appeal_id for appeal_id, _, _ in tally.journeys.values()}
    volunteer = make_engine(resources.database_url("volunteer"))
    try:
        with volunteer.connect() as c:
            got = {
                r.source.removeprefix("appeal:")
                for r in c.execute(text("SELECT source FROM entries WHERE source LIKE 'appeal:%'"))
            }
    finally:
        volunteer.dispose()
    if not wanted <= got:
        return False
    for service in ("appeals", "funding"):
        engine = make_engine(resources.database_url(service))
        try:
            with engine.connect() as c:
                pending = c.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
        finally:
            engine.dispose()
        if pending:
            return False
    return True


# -- the run --------------------------------------------------------------------------


def run(settings):
    """One chaos run; returns (counts, faults seen, report lines)."""
    lines = []

    def say(line):
        lines.append(line)
        if not settings.quiet:
            print(line, flush=True)

    tally = Tally()
    resources = Resources(settings)
    log_dir = Path(settings.log_dir or tempfile.mkdtemp(prefix="chaos-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    j, d = settings.journeys, settings.donations
    faults = {
        "volunteer": f"consumed:appeals.appeal_closed@{max(3, j * 15 // 100)}",
        "appeals": f"committed:appeals.appeal_closed@{max(5, j * 35 // 100)}",
        "funding": f"committed:funding.donation_received@{max(3, d * 50 // 100)}",
    }
    broker_at = max(8, j * 65 // 100)
    resources.create()
    supervisor = duplicator = None
    started = time.monotonic()
    try:
        supervisor = Supervisor(resources, settings, tally, faults, log_dir, say)
        supervisor.start()
        _wait_healthy(supervisor.base_url)
        world = build_world(supervisor.base_url, resources, settings, say)
        residents, cashier, fund_id = world.residents, world.cashier, world.fund_id
        duplicator = Duplicator(resources.amqp_uri, tally)
        duplicator.start()
        say(f"chaos: driving {j} journeys and {d} donations with {settings.clients} clients")
        driver = Driver(resources.tag, residents, cashier, fund_id, settings, tally)
        tasks = _interleave(j, d)
        broker_done = threading.Event()

        def broker_fault():
            while tally.progress() < broker_at:
                if broker_done.is_set():
                    return
                time.sleep(0.2)
            if settings.restart_broker:
                restart_broker(settings, say)
                with tally.lock:
                    tally.faults["RabbitMQ restarted"] += 1
            broker_done.set()

        watcher = threading.Thread(target=broker_fault, name="broker-fault", daemon=True)
        watcher.start()
        driving = time.monotonic()
        with ThreadPoolExecutor(settings.clients) as pool:
            for kind, n in tasks:
                pool.submit(driver.journey if kind == "j" else driver.donation, n)
        driven = time.monotonic() - driving
        broker_done.set()
        watcher.join(timeout=180)
        rate = len(tally.journeys) / max(driven, 0.001)
        say(
            f"chaos: {len(tally.journeys)} journeys and {len(tally.donations)} donations "
            f"answered in {driven:.0f} s ({rate:.1f} journeys/s)"
        )
        deadline = time.monotonic() + settings.settle_timeout
        while time.monotonic() < deadline and not settled(resources, tally):
            time.sleep(1)
        duplicator.stop()
        counts = count(resources, tally, resources.tag)
    finally:
        if duplicator is not None:
            duplicator.stop()
        if supervisor is not None:
            supervisor.stop()
        resources.remove()

    seen = dict(tally.faults)
    seen["events delivered twice"] = tally.duplicated
    elapsed = time.monotonic() - started
    say(f"chaos: {j} journeys, {d} donations, {elapsed:.0f} s in all")
    say("faults injected:")
    expected = {
        "volunteer killed": "volunteer killed after commit, before ack",
        "appeals killed": "appeals killed after commit, before publish",
        "funding killed": "funding killed after commit, before publish",
    }
    if settings.restart_broker:
        expected["RabbitMQ restarted"] = "RabbitMQ restarted"
    expected["events delivered twice"] = "events delivered a second time"
    for key, label in expected.items():
        say(f"  {label:46} {seen.get(key, 0)}")
    for key in sorted(set(seen) - set(expected)):
        say(f"  {key:46} {seen[key]}")
    say(
        "answers that never came, checked and carried on: "
        + (", ".join(f"{k} {v}" for k, v in sorted(tally.ambiguous.items())) or "none")
    )
    say("counted from the services' databases:")
    for key, value in counts.items():
        say(f"  {key:46} {value}")
    for n, why in (tally.unfinished + tally.failed_donations)[:10]:
        say(f"  unfinished #{n}: {why}")
    missing_faults = [label for key, label in expected.items() if not seen.get(key)]
    crashes = [key for key in seen if key.endswith("unexpectedly")]
    ok = not any(counts.values()) and not missing_faults and not crashes
    if missing_faults:
        say("chaos: FAILED: these faults never happened: " + "; ".join(missing_faults))
    say("chaos: PASSED: nothing lost, nothing doubled" if ok else "chaos: FAILED")
    if ok and not settings.log_dir:
        shutil.rmtree(log_dir, ignore_errors=True)
    else:
        say(f"chaos: the services' logs are in {log_dir}")
    return ok, counts, seen, lines


def _interleave(journeys, donations):
    """Journeys and donations mixed evenly, so each fault meets both."""
    tasks = []
    step = journeys / donations if donations else None
    d = 0
    for n in range(journeys):
        tasks.append(("j", n))
        while step and d < donations and d * step <= n:
            tasks.append(("d", d))
            d += 1
    tasks.extend(("d", k) for k in range(d, donations))
    return tasks


def _wait_healthy(base_url, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(base_url + "/health", timeout=3).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the suite did not become healthy within {seconds} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--journeys", type=int, default=2000)
    parser.add_argument("--donations", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--no-broker-restart", action="store_true")
    parser.add_argument("--log-dir", help="keep the services' logs here")
    parser.add_argument(
        "--amqp-uri",
        default=os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/"),
        help="the broker; the run makes a virtual host of its own there",
    )
    parser.add_argument(
        "--rabbit-api-uri",
        default=os.environ.get("RABBIT_API_URI", Settings.amqp_api),
        help="RabbitMQ's management API, to make and remove that virtual host",
    )
    parser.add_argument(
        "--postgres-url", default=os.environ.get("TEST_POSTGRES_URL", Settings.postgres_url)
    )
    args = parser.parse_args(argv)
    settings = Settings(
        journeys=args.journeys,
        donations=args.donations,
        clients=args.clients,
        restart_broker=not args.no_broker_restart,
        postgres_url=args.postgres_url,
        log_dir=args.log_dir,
        amqp_host=urlsplit(args.amqp_uri).netloc,
        amqp_api=args.rabbit_api_uri,
    )
    ok, counts, seen, _ = run(settings)
    print(json.dumps({"counts": counts, "faults": seen}, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
