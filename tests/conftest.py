"""Shared fixtures. Every test owns its resources: a RabbitMQ vhost (nameko's
`rabbit_config`), a SQLite file, and — when PostgreSQL is reachable — a fresh
PostgreSQL database that is dropped afterwards."""

import os
import uuid
from urllib.parse import urlparse

import pg_admin
import pytest
from nameko.testing.utils import find_free_port

from yzw_kernel.db import Store

PG_ADMIN_URL = os.environ.get(
    "YZW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DEMO_PASSWORD = "yizhangwang"


def _pg_admin():
    return pg_admin.connect(PG_ADMIN_URL)


@pytest.fixture(scope="session")
def postgres_reachable():
    try:
        _pg_admin().close()
        return True
    except Exception:  # noqa: BLE001 - any failure means not reachable
        return False


@pytest.fixture
def postgres_databases(postgres_reachable):
    """Makes fresh PostgreSQL databases for this test and drops them afterwards."""
    if not postgres_reachable:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL is not reachable")
    admin = _pg_admin()
    made = []
    netloc = urlparse(PG_ADMIN_URL).netloc

    def make():
        name = f"yzw_test_{uuid.uuid4().hex[:12]}"
        admin.run(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"postgresql://{netloc}/{name}"

    yield make
    for name in made:
        admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def postgres_url(postgres_databases):
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    return postgres_databases()


def pytest_collection_modifyitems(config, items):
    """End-to-end tests run on SQLite; the journeys (`both_backends`) on PostgreSQL too.

    The rules behind every route are tested on both databases in integration/;
    running each route test twice more through five services added minutes,
    not coverage.
    """
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("databases") == "postgresql"
        if (
            on_postgres
            and item.path.parent.name == "e2e"
            and item.get_closest_marker("both_backends") is None
        ):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path):
    """`databases(name)` gives a fresh database URL on this test's backend: each
    database test runs on SQLite and again on PostgreSQL."""
    if request.param == "sqlite":
        return lambda name: f"sqlite:///{tmp_path}/{name}.sqlite3"
    make = request.getfixturevalue("postgres_databases")
    return lambda name: make()


@pytest.fixture
def database_url(databases):
    return databases("test")


@pytest.fixture
def test_config(rabbit_config):
    """Quick timers and short timeouts, so failures show fast."""
    return {
        **rabbit_config,
        "OUTBOX_RELAY_INTERVAL": 0.2,
        "RPC_TIMEOUT": 2,
        "max_workers": 10,
    }


APPEALS_TEST_CONFIG = {
    "APPEALS_TIMER_INTERVAL": 0.5,
    "DELIBERATION_QUORUM": 0.5,
    "DEADLINES": {
        "default_hours": 72,
        "by_category": {"safety": 24, "legacy": 336},
        "level_factor": {"grid": 1, "community": 1, "street": 2, "department": 3},
    },
}


VOLUNTEER_TEST_CONFIG = {
    "STARS": {
        "appeal_closed": 10,
        "appeal_min_rating": 3,
        "appeal_five_star_bonus": 5,
        "visit": 2,
        "visits_per_day_cap": 5,
    }
}


def grid_store(database_url, amqp_uri=None):
    from grid.service import MIGRATIONS

    store = Store(database_url, source="grid", migrations=MIGRATIONS, amqp_uri=amqp_uri)
    store.migrate()
    return store


def start_gateway(container_factory, test_config):
    """Start a gateway on a free port; returns the container and its API's base URL."""
    from gateway.service import GatewayService

    port = find_free_port()
    gateway = container_factory(
        GatewayService,
        {
            **test_config,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
            "TOKEN_SECRET": "test-secret-" + uuid.uuid4().hex,
            "GATEWAY_SERVICES": "grid,appeals,volunteer,funding",
            "HEALTH_TIMEOUT": 1,
        },
    )
    gateway.start()
    return gateway, f"http://127.0.0.1:{port}/api/v1"


@pytest.fixture
def suite(databases, database_url, container_factory, test_config):
    """Every service and the gateway, on this test's vhost, each with its own database."""
    from api_client import Suite

    from appeals.service import AppealsService
    from funding.service import FundingService
    from grid.admin import create_street_admin
    from grid.service import GridService
    from volunteer.service import VolunteerService

    store = grid_store(database_url)
    admin = create_street_admin(store, "昆都仑区", "街道管理员", "13800000001", DEMO_PASSWORD)
    store.dispose()

    grid = container_factory(GridService, {**test_config, "DATABASE_URL": database_url})
    grid.start()
    appeals_url = databases("appeals")
    appeals = container_factory(
        AppealsService, {**test_config, **APPEALS_TEST_CONFIG, "DATABASE_URL": appeals_url}
    )
    appeals.start()
    volunteer_url = databases("volunteer")
    volunteer = container_factory(
        VolunteerService,
        {**test_config, **VOLUNTEER_TEST_CONFIG, "DATABASE_URL": volunteer_url},
    )
    volunteer.start()
    funding_url = databases("funding")
    funding = container_factory(FundingService, {**test_config, "DATABASE_URL": funding_url})
    funding.start()
    gateway, base_url = start_gateway(container_factory, test_config)
    return Suite(
        base_url=base_url,
        street_id=admin["street_id"],
        admin_phone="13800000001",
        password=DEMO_PASSWORD,
        containers={
            "grid": grid,
            "appeals": appeals,
            "volunteer": volunteer,
            "funding": funding,
            "gateway": gateway,
        },
        database_url=database_url,
        database_urls={
            "grid": database_url,
            "appeals": appeals_url,
            "volunteer": volunteer_url,
            "funding": funding_url,
        },
        amqp_uri=test_config["AMQP_URI"],
    )
