"""Shared fixtures. Every test owns its resources: a RabbitMQ vhost (nameko's
`rabbit_config`), a SQLite file, and — when PostgreSQL is reachable — a fresh
PostgreSQL database that is dropped afterwards."""

import os
import uuid
from urllib.parse import urlparse

import pg8000.native
import pytest
from nameko.testing.utils import find_free_port

from yzw_kernel.db import Store

PG_ADMIN_URL = os.environ.get(
    "YZW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DEMO_PASSWORD = "yizhangwang"


def _pg_admin():
    url = urlparse(PG_ADMIN_URL)
    return pg8000.native.Connection(
        user=url.username or "postgres",
        password=url.password,
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        database=url.path.lstrip("/") or "postgres",
    )


@pytest.fixture(scope="session")
def postgres_reachable():
    try:
        _pg_admin().close()
        return True
    except Exception:  # noqa: BLE001 - any failure means not reachable
        return False


@pytest.fixture
def postgres_url(postgres_reachable):
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    if not postgres_reachable:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL is not reachable")
    name = f"yzw_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    admin.run(f'CREATE DATABASE "{name}"')
    url = urlparse(PG_ADMIN_URL)
    yield f"postgresql://{url.netloc}/{name}"
    admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each database test runs on SQLite and again on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/test.sqlite3"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def test_config(rabbit_config):
    """Quick timers and short timeouts, so failures show fast."""
    return {
        **rabbit_config,
        "OUTBOX_RELAY_INTERVAL": 0.2,
        "RPC_TIMEOUT": 2,
        "max_workers": 10,
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
            "GATEWAY_SERVICES": "grid",
            "HEALTH_TIMEOUT": 1,
        },
    )
    gateway.start()
    return gateway, f"http://127.0.0.1:{port}/api/v1"


@pytest.fixture
def suite(container_factory, test_config, database_url):
    """The grid service and the gateway, running on this test's vhost and database."""
    from api_client import Suite

    from grid.admin import create_street_admin
    from grid.service import GridService

    store = grid_store(database_url)
    admin = create_street_admin(store, "昆都仑区", "街道管理员", "13800000001", DEMO_PASSWORD)
    store.dispose()

    grid = container_factory(GridService, {**test_config, "DATABASE_URL": database_url})
    grid.start()
    gateway, base_url = start_gateway(container_factory, test_config)
    return Suite(
        base_url=base_url,
        street_id=admin["street_id"],
        admin_phone="13800000001",
        password=DEMO_PASSWORD,
        containers={"grid": grid, "gateway": gateway},
        database_url=database_url,
    )
