"""`make bench`: how fast the suite serves a community, against the floor of its own bus.

One run, one broker: every service and the gateway as real `nameko run`
processes on PostgreSQL (the chaos run's harness, tests/support/chaos.py,
without its faults and with the default settings), a RabbitMQ virtual host and
databases of the run's own, removed afterwards. In turn it measures:

1. the floor: raw AMQP request/reply (kombu echo) and nameko RPC to an echo
   service, sequential latency and pipelined calls per second;
2. gateway reads, `/me` and the community dashboard, with 1, 8 and 32 clients;
3. appeal journeys (submit → dispatched → claim → resolve → rate → the
   handler's stars visible) with 8 and 32 clients, and how long the stars take
   to show after the rating's answer;
4. scale: a district loaded in bulk (bench/loader.py), the appeal list, the
   community's statistics and a fund report with 8 clients at a tenth of the
   appeals and ledger, then at all of them, with the use cases timed in-process
   and their SQL explained, so a slow figure says where its time goes;
5. memory: each process's resident set after all that.

It writes bench/results/latest.json and bench/results/latest.md.

    python bench/run.py              # the full district: 1,000,000 appeals
    python bench/run.py --scale 0.1  # a tenth of it
"""

import argparse
import os
import platform
import re
import resource
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "bench", ROOT / "tests" / "support"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import floor  # noqa: E402
import requests  # noqa: E402
from chaos import (  # noqa: E402
    PASSWORD,
    SERVICES,
    Client,
    Resources,
    Settings,
    Supervisor,
    Tally,
    _wait_healthy,
    build_world,
    login,
)
from loader import District, Layout  # noqa: E402
from processes import ServiceProcess  # noqa: E402
from report import write_reports  # noqa: E402
from stats import closed_loop, summary  # noqa: E402

# The defaults every service runs with, but quieter: the bench measures the suite
# as deployed, not the chaos run's faster relay and retries.
TUNING = {"LOG_LEVEL": "WARNING"}
ECHO_TARGET = ("bench/echo.yml", "bench.echo_service:EchoService")
READ_CLIENTS = (1, 8, 32)
JOURNEY_CLIENTS = (8, 32)
SCALE_CLIENTS = 8
# gateway→service calls a journey makes (each route asks grid for the principal first),
# and service→service: appeals asks grid where the household is
JOURNEY_RPC = {
    "POST /appeals": {"grid.principal": 1, "appeals.submit": 1, "appeals→grid.locate": 1},
    "POST /appeals/{id}/claim": {"grid.principal": 1, "appeals.claim": 1},
    "POST /appeals/{id}/resolve": {"grid.principal": 1, "appeals.resolve": 1},
    "POST /appeals/{id}/rate": {"grid.principal": 1, "appeals.rate": 1},
}
STARS_POLL_RPC = 2  # GET /stars/{handler}: grid.principal, volunteer.stars


def say(line):
    print(line, flush=True)


# -- the machine and the broker ------------------------------------------------------


def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def loadavg():
    return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]


def versions(api, postgres_url):
    out = {}
    try:
        overview = requests.get(api + "/api/overview", timeout=10).json()
        out["rabbitmq"] = overview.get("rabbitmq_version")
        out["erlang"] = overview.get("erlang_version")
    except (requests.RequestException, ValueError):
        pass
    try:
        from loader import _connect

        connection = _connect(postgres_url)
        out["postgresql"] = connection.run("SHOW server_version")[0][0]
        connection.close()
    except Exception:  # noqa: BLE001 - a version is nice to have, not needed
        pass
    return out


def git_commit():
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


class BrokerCounter:
    """RPC requests the broker saw: messages published to nameko's RPC exchange.
    The management API refreshes its figures every few seconds, so a reading
    waits until the figure has stopped moving."""

    def __init__(self, api, vhost):
        self.url = f"{api}/api/exchanges/{quote(vhost, safe='')}/nameko-rpc"

    def read(self):
        try:
            body = requests.get(self.url, timeout=10).json()
        except (requests.RequestException, ValueError):
            return None
        return body.get("message_stats", {}).get("publish_in")

    def settled(self, seconds=20):
        last, deadline = self.read(), time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(2.5)
            now = self.read()
            if now == last and now is not None:
                return now
            last = now
        return last


class CpuMeter:
    """CPU seconds used by each of the suite's processes, the broker, PostgreSQL
    (all of its processes: other users of the server count too) and this client,
    from /proc: divided by the requests served, it says where the time went."""

    TICKS = os.sysconf("SC_CLK_TCK")

    def __init__(self, processes):
        self.processes = processes  # name -> pid

    @classmethod
    def _seconds(cls, pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / cls.TICKS  # utime, stime

    @classmethod
    def _by_name(cls, command):
        total = 0.0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if (entry / "comm").read_text().strip() == command:
                        total += cls._seconds(entry.name)
                except OSError:
                    continue
        return total

    def snapshot(self):
        out = {name: self._seconds(pid) for name, pid in self.processes.items()}
        out["rabbitmq"] = self._by_name("beam.smp")
        out["postgresql"] = self._by_name("postgres")
        out["bench client"] = cpu_seconds()
        return out

    @staticmethod
    def per_unit(before, after, units):
        """Milliseconds of CPU per unit of work, by process."""
        if not units:
            return {}
        return {name: round((after[name] - before[name]) * 1000 / units, 2) for name in after}


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- 1. the floor ----------------------------------------------------------------------


def measure_floor(amqp_uri, sizes):
    floor.wait_for_amqp_echo(amqp_uri)
    amqp = floor.measure_amqp(amqp_uri, **sizes)
    say(
        f"bench: AMQP floor {amqp['sequential']['p50_ms']} ms p50, "
        f"{amqp['pipelined']['calls_per_second']} calls/s pipelined, "
        f"{amqp['concurrent']['calls_per_second']} calls/s from 8 callers"
    )
    floor.wait_for_nameko_echo(amqp_uri)
    nameko = floor.measure_nameko(amqp_uri, **sizes)
    say(
        f"bench: nameko RPC floor {nameko['sequential']['p50_ms']} ms p50, "
        f"{nameko['pipelined']['calls_per_second']} calls/s pipelined, "
        f"{nameko['concurrent']['calls_per_second']} calls/s from 8 callers"
    )
    return {"amqp": amqp, "nameko": nameko}


# -- 2. gateway reads -------------------------------------------------------------------


def timed_get(client, path, check=None):
    began = time.perf_counter()
    response = client.http.get(client.base_url + path, timeout=30)
    took = time.perf_counter() - began
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:200]}")
    if check is not None:
        check(response)
    return took


def measure_reads(world, duration, warmup, meter):
    residents = [client for client, _, _ in world.residents]
    dashboard = f"/communities/{world.community_id}/dashboard"

    def complete(response):
        if not response.json().get("complete"):
            raise RuntimeError(f"dashboard incomplete: {response.json().get('missing')}")

    reads = {
        "me": lambda i: timed_get(residents[i % len(residents)], "/me"),
        "dashboard": lambda i: timed_get(world.admin, dashboard, complete),
    }
    out = {}
    for name, work in reads.items():
        out[name] = {}
        for clients in READ_CLIENTS:
            used = cpu_seconds()
            before = meter.snapshot()
            result = closed_loop(clients, duration, work, warmup=warmup)
            after = meter.snapshot()
            figures = result.summary()
            figures["bench_cpu_share"] = round((cpu_seconds() - used) / result.elapsed, 2)
            # warmup requests are served too: count every request made
            served = len(result.latencies) * (result.elapsed + warmup) / result.elapsed
            figures["cpu_ms_per_request"] = CpuMeter.per_unit(before, after, served)
            out[name][clients] = figures
            say(
                f"bench: GET {name} x{clients}: {figures['p50_ms']} ms p50, "
                f"{figures['p99_ms']} ms p99, {figures['per_second']}/s, "
                f"{figures['errors']} errors"
            )
    return out


def measure_parts(amqp_uri, world, calls):
    """Each RPC behind /me and the dashboard, called alone and in turn through
    nameko's proxy: what each costs the service, beside the echo floor. The
    dashboard waits for the principal, then for the slowest of the rest (grid's
    coverage runs beside the principal lookup)."""
    admin_id = world.admin.http.get(world.admin.base_url + "/me", timeout=30).json()["person"]
    admin_id = admin_id["id"]
    resident_id = world.residents[0][0].person_id
    community_id = world.community_id
    client = floor.NamekoClient(amqp_uri)
    try:
        proxy = client.proxy
        principal = proxy.grid.principal(admin_id)
        parts = {
            "grid.me": lambda: proxy.grid.me(resident_id),
            "grid.principal": lambda: proxy.grid.principal(admin_id),
            "grid.coverage": lambda: proxy.grid.coverage(admin_id, community_id),
            "appeals.stats": lambda: proxy.appeals.stats(principal, {"community_id": community_id}),
            "volunteer.community_summary": lambda: proxy.volunteer.community_summary(
                principal, community_id
            ),
            "funding.community_summary": lambda: proxy.funding.community_summary(
                principal, community_id
            ),
        }
        out = {}
        for name, call in parts.items():
            for _ in range(5):
                call()
            timings = []
            for _ in range(calls):
                began = time.perf_counter()
                call()
                timings.append(time.perf_counter() - began)
            out[name] = summary(timings)
    finally:
        client.close()
    rest = max(
        out[p]["p50_ms"]
        for p in ("appeals.stats", "volunteer.community_summary", "funding.community_summary")
    )
    out["dashboard critical path"] = {
        "p50_ms": round(
            max(out["grid.principal"]["p50_ms"] + rest, out["grid.coverage"]["p50_ms"]), 3
        )
    }
    say("bench: RPC parts (p50 ms): " + ", ".join(f"{k} {v['p50_ms']}" for k, v in out.items()))
    return out


# -- 3. journeys ------------------------------------------------------------------------


class Journeys:
    def __init__(self, world):
        self.world = world
        self.lock = threading.Lock()
        self.propagation = []
        self.polls = 0
        self.n = 0

    def _post(self, client, path, body, status):
        response = client.http.post(client.base_url + path, json=body, timeout=30)
        if response.status_code != status:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:200]}")
        return response.json()

    def one(self, index):
        resident, home, worker = self.world.residents[index % len(self.world.residents)]
        with self.lock:
            self.n += 1
            n = self.n
        began = time.perf_counter()
        appeal = self._post(
            resident,
            "/appeals",
            {
                "category": "infrastructure",
                "title": f"基准诉求{n}",
                "description": "路灯不亮",
                "household_id": home,
            },
            201,
        )
        path = f"/appeals/{appeal['id']}"
        if appeal["status"] != "dispatched":
            raise RuntimeError(f"a new appeal is {appeal['status']}, not dispatched")
        self._post(worker, f"{path}/claim", None, 200)
        self._post(worker, f"{path}/resolve", {"resolution": "已修好"}, 200)
        rated = self._post(resident, f"{path}/rate", {"score": 5}, 200)
        answered = time.perf_counter()
        if rated["status"] != "closed":
            raise RuntimeError(f"rated, the appeal is {rated['status']}")
        source = f"appeal:{appeal['id']}"
        stars = f"{worker.base_url}/stars/{worker.person_id}?limit=100"
        polls = 0
        while True:
            polls += 1
            response = worker.http.get(stars, timeout=30)
            if response.status_code != 200:
                raise RuntimeError(f"GET stars: {response.status_code} {response.text[:200]}")
            if any(e["source"] == source for e in response.json()["entries"]):
                break
            if time.perf_counter() - answered > 30:
                raise RuntimeError(f"the stars for {source} did not show within 30 s")
            time.sleep(0.005)
        seen = time.perf_counter()
        with self.lock:
            self.propagation.append(seen - answered)
            self.polls += polls
        return seen - began


def measure_journeys(world, duration, counter, meter):
    fixed_calls = sum(sum(calls.values()) for calls in JOURNEY_RPC.values())
    out = {}
    for clients in JOURNEY_CLIENTS:
        journeys = Journeys(world)
        before = counter.settled()
        used = cpu_seconds()
        cpu_before = meter.snapshot()
        result = closed_loop(clients, duration, journeys.one, warmup=0)
        cpu = cpu_seconds() - used
        # journeys still running at the end finish before the broker is read
        after = counter.settled()
        cpu_after = meter.snapshot()
        figures = result.summary()
        done = len(result.latencies)
        polls = journeys.polls / max(len(journeys.propagation), 1)
        static_calls = fixed_calls + STARS_POLL_RPC * polls
        figures.update(
            {
                "journeys_per_second": round(done / result.elapsed, 2),
                "propagation": summary(journeys.propagation),
                "stars_polls_per_journey": round(polls, 2),
                "rpc_calls_per_journey": round(static_calls, 2),
                "bench_cpu_share": round(cpu / result.elapsed, 2),
                # every journey started made its calls, finished or not
                "cpu_ms_per_journey": CpuMeter.per_unit(cpu_before, cpu_after, journeys.n),
            }
        )
        if before is not None and after is not None and journeys.n:
            # nameko sends its replies through the same exchange: two messages a call;
            # every journey started, finished or not, made its calls
            figures["rpc_calls_per_journey_broker"] = round((after - before) / 2 / journeys.n, 2)
        out[clients] = figures
        say(
            f"bench: journeys x{clients}: {figures['journeys_per_second']}/s, "
            f"{figures['p50_ms']} ms p50, stars after {figures['propagation']['p50_ms']} ms p50, "
            f"{figures['rpc_calls_per_journey']} RPC calls each, {figures['errors']} errors"
        )
    return out


# -- 4. scale ---------------------------------------------------------------------------


def scale_queries(district, community, cursor=None):
    """path of each measured read for community number `community`."""
    community_id = district.community_id(community)
    listing = f"/appeals?community_id={community_id}&status=rejected&limit=20"
    queries = {
        "appeal list (community + status)": listing,
        "appeal list, next page": f"{listing}&cursor={cursor}" if cursor else None,
        "community statistics": f"/stats/appeals?community_id={community_id}",
        "fund report": f"/funds/{district.fund_id(community)}/report",
    }
    return queries


def measure_scale(base_url, district, admins, duration, warmup, profile):
    """The reads at 8 clients, each its community's admin."""
    plans = {}
    per_client = []
    for index, admin in enumerate(admins):
        community = index % district.layout.communities
        first = admin.http.get(
            base_url + scale_queries(district, community)["appeal list (community + status)"],
            timeout=60,
        )
        first.raise_for_status()
        per_client.append(scale_queries(district, community, first.json()["next_cursor"]))
    out = {}
    for name in per_client[0]:
        sizes = set()

        def work(index, name=name, sizes=sizes):
            client = admins[index]
            path = per_client[index][name]
            return timed_get(client, path, lambda r: sizes.add(len(r.content)))

        result = closed_loop(len(admins), duration, work, warmup=warmup)
        figures = result.summary()
        figures["response_bytes"] = max(sizes) if sizes else None
        out[name] = figures
        say(
            f"bench: {name} x{len(admins)}: {figures['p50_ms']} ms p50, "
            f"{figures['p99_ms']} ms p99, {figures['per_second']}/s, {figures['errors']} errors"
        )
    if profile is not None:
        plans = profile(per_client[0])
        for name, found in plans.items():
            out[name]["in_process"] = found["summary"]
    return out, plans


class Profiler:
    """The services' own use cases, called in this process against their databases:
    how long the work takes without the bus and the gateway, and the plan of each
    SQL statement it runs (EXPLAIN ANALYZE)."""

    def __init__(self, resources, district, community):
        from sqlalchemy import event

        from appeals.service import MIGRATIONS as APPEALS
        from funding.service import MIGRATIONS as FUNDING
        from grid.service import MIGRATIONS as GRID
        from yzw_kernel.db import Store

        self.stores = {
            "grid": Store(resources.database_url("grid"), "grid", GRID),
            "appeals": Store(resources.database_url("appeals"), "appeals", APPEALS),
            "funding": Store(resources.database_url("funding"), "funding", FUNDING),
        }
        self.district = district
        self.community = community
        self.captured = []
        for store in self.stores.values():
            event.listen(store.engine, "before_cursor_execute", self._capture)

    def _capture(self, conn, cursor, statement, parameters, context, executemany):
        self.captured.append((conn.engine, statement, parameters))

    def close(self):
        for store in self.stores.values():
            store.dispose()

    def __call__(self, paths):
        from appeals import app as appeals_app
        from appeals import stats as appeals_stats
        from funding import funds
        from grid import app as grid_app

        admin_id = self.district.person_id(self.community, self.district.ADMIN)
        with self.stores["grid"].transaction() as tx:
            principal = grid_app.principal(tx, admin_id)
        community_id = self.district.community_id(self.community)
        listing = {"community_id": community_id, "status": "rejected", "limit": "20"}
        cursor = re.search(r"cursor=([^&]+)", paths["appeal list, next page"] or "")
        use_cases = {
            "appeal list (community + status)": (
                "appeals",
                lambda tx: appeals_app.list_appeals(tx, principal, listing),
            ),
            "appeal list, next page": (
                "appeals",
                lambda tx: appeals_app.list_appeals(
                    tx, principal, {**listing, "cursor": cursor.group(1) if cursor else None}
                ),
            ),
            "community statistics": (
                "appeals",
                lambda tx: appeals_stats.stats(tx, principal, {"community_id": community_id}),
            ),
            "fund report": (
                "funding",
                lambda tx: funds.report(tx, self.district.fund_id(self.community)),
            ),
        }
        out = {}
        for name, (service, use_case) in use_cases.items():
            store = self.stores[service]
            timings = []
            for _ in range(12):
                self.captured.clear()
                began = time.perf_counter()
                with store.reading() as session:
                    use_case(_Reading(session))
                timings.append(time.perf_counter() - began)
            statements = list(self.captured)
            explained = []
            with store.engine.connect() as connection:
                for _, statement, parameters in statements:
                    plan = connection.exec_driver_sql(
                        "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
                    ).all()
                    text = "\n".join(row[0] for row in plan)
                    found = re.search(r"Execution Time: ([0-9.]+) ms", text)
                    explained.append(
                        {
                            "sql": " ".join(statement.split())[:300],
                            "execution_ms": float(found.group(1)) if found else None,
                            "plan": text,
                        }
                    )
                connection.rollback()
            out[name] = {"summary": summary(timings[2:]), "statements": explained}
        return out


class _Reading:
    """Enough of a unit of work for the read-only use cases: its session."""

    def __init__(self, session):
        self.session = session


def scale_phase(args, resources, base_url, counts_say=say):
    layout = Layout.scaled(args.scale)
    from grid.admin import create_street_admin
    from grid.passwords import hash_password
    from grid.service import MIGRATIONS
    from yzw_kernel.db import Store

    store = Store(resources.database_url("grid"), source="grid", migrations=MIGRATIONS)
    made = create_street_admin(store, "基准街道", "街道管理员", "13700000001", PASSWORD)
    store.dispose()
    urls = {s: resources.database_url(s) for s in SERVICES}
    district = District(urls, layout, resources.tag, made["street_id"], hash_password(PASSWORD))
    out = {"layout": layout.__dict__ | {"households": layout.households * layout.communities}}
    out["phases"] = {}
    out["clients"] = SCALE_CLIENTS
    began = time.perf_counter()
    district.load_people()
    district.load_funds()
    out["load_people_s"] = round(time.perf_counter() - began, 1)
    say(
        f"bench: district loaded: {layout.communities} communities, {layout.residents} "
        f"residents in {out['load_people_s']} s"
    )
    admins = []
    for index in range(SCALE_CLIENTS):
        community = index % layout.communities
        person = community * layout.residents_per_community + district.ADMIN
        token, person_id = login(base_url, "16" + str(person).rjust(9, "0"))
        admins.append(Client(base_url, token, person_id, 60))
    profiler = Profiler(resources, district, 0)
    plans = {}
    try:
        for part in (0, 1):
            began = time.perf_counter()
            district.load_activity(part)
            loaded = round(time.perf_counter() - began, 1)
            counts = district.counts()
            label = f"{counts['appeals']:,} appeals"
            say(
                f"bench: loaded to {label}, {counts['ledger_entries']:,} ledger entries "
                f"in {loaded} s"
            )
            figures, plans[label] = measure_scale(
                base_url, district, admins, args.duration, args.warmup, profiler
            )
            out["phases"][label] = {"load_s": loaded, "rows": counts, "reads": figures}
    finally:
        profiler.close()
    began = time.perf_counter()
    out["problems"] = district.verify()
    out["verify_s"] = round(time.perf_counter() - began, 1)
    say(
        f"bench: loaded rows checked in {out['verify_s']} s: "
        + ("; ".join(out["problems"]) or "all invariants hold")
    )
    out["load_statements"] = [
        {"service": s, "statement": what, "seconds": round(t, 2)} for s, what, t in district.timings
    ]
    return out, plans


# -- 5. memory ---------------------------------------------------------------------------


def memory(processes):
    out = {}
    for name, process in processes.items():
        status = {}
        try:
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    status[key] = round(int(value.split()[0]) / 1024, 1)
        except OSError:
            continue
        out[name] = {"rss_mib": status.get("VmRSS"), "peak_rss_mib": status.get("VmHWM")}
    return out


# -- the run ------------------------------------------------------------------------------


def run(args):
    started = time.monotonic()
    results = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": args.command,
        "commit": git_commit(),
        "machine": machine(),
        "loadavg_start": loadavg(),
        "settings": {
            "scale": args.scale,
            "duration_s": args.duration,
            "journey_duration_s": args.journey_duration,
        },
    }
    settings = Settings(
        residents=64,
        grids=8,
        amqp_host=urlsplit(args.amqp_uri).netloc,
        amqp_api=args.rabbit_api_uri,
        postgres_url=args.postgres_url,
        step_deadline=60,
        quiet=False,
    )
    results["versions"] = versions(settings.amqp_api.rstrip("/"), args.postgres_url)
    resources = Resources(settings)
    resources.vhost = f"bench_{resources.tag}"
    resources.databases = {s: f"bench_{resources.tag}_{s}" for s in SERVICES}
    log_dir = Path(args.log_dir or ROOT / "bench" / "results" / "logs")
    log_dir.mkdir(parents=True, exist_ok=True)
    resources.create()
    tally = Tally()
    supervisor = None
    extras = {}
    plans = {}
    try:
        supervisor = Supervisor(resources, settings, tally, {}, log_dir, say, tuning=TUNING)
        echo = ServiceProcess("echo", 1, dict(supervisor.base_env), log_dir, target=ECHO_TARGET)
        extras["echo"] = echo.start()
        amqp_echo_log = open(log_dir / "amqp-echo.log", "wb")  # noqa: SIM115 - closed below
        extras["amqp-echo"] = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "bench" / "floor.py"),
                "serve",
                "--amqp-uri",
                resources.amqp_uri,
            ],
            stdout=amqp_echo_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        supervisor.start()
        _wait_healthy(supervisor.base_url)
        world = build_world(supervisor.base_url, resources, settings, say)
        base_url = supervisor.base_url

        say("bench: 1. the floor")
        sizes = {
            "sequential": args.floor_calls,
            "pipelined": args.floor_calls * 4,
            "concurrent": {"callers": 8, "calls": args.floor_calls // 4},
        }
        results["floor"] = measure_floor(resources.amqp_uri, sizes)

        meter = CpuMeter({name: p.pid for name, p in supervisor.processes.items()})
        say("bench: 2. gateway reads")
        results["reads"] = measure_reads(world, args.duration, args.warmup, meter)
        results["read_parts"] = measure_parts(resources.amqp_uri, world, args.floor_calls // 5)

        say("bench: 3. appeal journeys")
        counter = BrokerCounter(settings.amqp_api.rstrip("/"), resources.vhost)
        results["journeys"] = measure_journeys(world, args.journey_duration, counter, meter)

        if args.scale > 0:
            say("bench: 4. scale")
            results["scale"], plans = scale_phase(args, resources, base_url)

        say("bench: 5. memory")
        processes = dict(supervisor.processes)
        processes["echo"] = extras["echo"]
        results["memory"] = memory(processes)
        results["process_failures"] = dict(tally.faults)
    finally:
        if supervisor is not None:
            supervisor.stop()
        for process in extras.values():
            try:
                os.killpg(process.pid, 15)
            except (ProcessLookupError, PermissionError):
                pass
        for process in extras.values():
            proc = getattr(process, "process", process)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        resources.remove()
    results["loadavg_end"] = loadavg()
    results["duration_s"] = round(time.monotonic() - started, 1)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_reports(results, plans, out_dir)
    say(f"bench: done in {results['duration_s']:.0f} s; {out_dir / 'latest.md'}")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("BENCH_SCALE") or 1),
        help="size of the district: 1 is 100 communities, 200,000 residents, 1,000,000 "
        "appeals and 2,000,000 ledger entries; 0 skips the scale part",
    )
    parser.add_argument("--duration", type=float, default=6.0, help="seconds each read is driven")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--journey-duration", type=float, default=20.0)
    parser.add_argument("--floor-calls", type=int, default=1000)
    parser.add_argument("--out-dir", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--log-dir", help="the processes' logs (default bench/results/logs)")
    parser.add_argument(
        "--amqp-uri", default=os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")
    )
    parser.add_argument(
        "--rabbit-api-uri",
        default=os.environ.get("RABBIT_API_URI", "http://guest:guest@127.0.0.1:15672"),
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    args = parser.parse_args(argv)
    args.command = "make bench" + (f" BENCH_SCALE={args.scale:g}" if args.scale != 1 else "")
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
