"""The benchmark's code runs (bench/; `make bench` is the real run, never in `make test`):
the floor's two round trips with a handful of calls, and the bulk loader on a tiny
district whose rows keep every invariant the services keep."""

import importlib
import sys
import threading
from pathlib import Path

import eventlet
import pytest

from yzw_kernel.db import Store

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import floor  # noqa: E402
from echo_service import EchoService  # noqa: E402
from loader import District, Layout, stable_id  # noqa: E402

SIZES = {"sequential": 5, "pipelined": 10, "window": 4, "warmup": 1}


def test_the_floor_measures_raw_amqp_and_nameko_round_trips(rabbit_config, container_factory):
    uri = rabbit_config["AMQP_URI"]
    stop, ready = threading.Event(), threading.Event()  # green: nameko test patches threading
    server = eventlet.spawn(floor.serve, uri, stop=stop, ready=ready)
    try:
        assert ready.wait(timeout=10)
        amqp = floor.measure_amqp(uri, **SIZES)
    finally:
        stop.set()
        server.wait()
    container_factory(EchoService, {**rabbit_config, "max_workers": 4}).start()
    nameko = floor.measure_nameko(uri, **SIZES)

    for figures in (amqp, nameko):
        assert figures["sequential"]["count"] == 5
        assert 0 < figures["sequential"]["p50_ms"] <= figures["sequential"]["p99_ms"]
        assert figures["pipelined"]["calls"] == 10
        assert figures["pipelined"]["calls_per_second"] > 0


@pytest.mark.postgres_only
def test_the_bulk_loader_writes_rows_as_the_services_do(postgres_databases):
    from grid.admin import create_street_admin

    urls = {}
    for service in ("grid", "appeals", "volunteer", "funding"):
        urls[service] = postgres_databases()
        migrations = importlib.import_module(f"{service}.service").MIGRATIONS
        store = Store(urls[service], source=service, migrations=migrations)
        store.migrate()
        if service == "grid":
            street = create_street_admin(store, "基准街道", "管理员", "13700000009", "yizhangwang")
        store.dispose()
    layout = Layout(
        communities=2,
        residents=40,
        appeals=400,
        ledger_entries=400,
        estates=1,
        grids=2,
        units_per_building=1,
        households_per_unit=4,
    )
    district = District(urls, layout, "smoke", street["street_id"], "argon2-hash-stand-in")
    district.load_people()
    district.load_funds()
    district.load_activity(0)
    first = district.counts()
    district.load_activity(1)

    assert district.verify() == []
    assert first["appeals"] == 40 and first["ledger_entries"] == 40
    counts = district.counts()
    assert counts["communities"] == 2 and counts["residents"] == 40
    assert counts["appeals"] == 400 and counts["ledger_entries"] == 400
    # the ids each database names are the same UUIDs
    assert stable_id("smoke", "community", 1) == district.community_id(1)
    assert (
        district._scalar("appeals", "SELECT count(DISTINCT community_id) FROM appeals") == 2
        and district._scalar(
            "appeals",
            "SELECT count(*) FROM appeals WHERE community_id NOT IN (:a, :b)",
            a=district.community_id(0),
            b=district.community_id(1),
        )
        == 0
    )
