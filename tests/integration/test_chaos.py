"""The chaos run, shorter: a few hundred appeal journeys and donations through
every service as a real process, while consumers and producers are killed
between commit and ack or publish, RabbitMQ restarts and every event arrives
twice; nothing may be lost or counted twice (tests/support/chaos.py; the full
run is `make chaos`)."""

import os
from urllib.parse import urlsplit

import pytest
from chaos import Settings, run
from conftest import PG_ADMIN_URL

pytestmark = pytest.mark.postgres_only

JOURNEYS = int(os.environ.get("CHAOS_JOURNEYS", 240))
DONATIONS = int(os.environ.get("CHAOS_DONATIONS", 80))


def test_under_faults_no_journey_star_or_fen_is_lost_or_counted_twice(
    postgres_reachable, pytestconfig, tmp_path
):
    if not postgres_reachable:
        pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}")
    broker = urlsplit(pytestconfig.getoption("RABBIT_AMQP_URI"))
    settings = Settings(
        journeys=JOURNEYS,
        donations=DONATIONS,
        clients=10,
        postgres_url=PG_ADMIN_URL,
        amqp_host=broker.netloc,
        amqp_api=pytestconfig.getoption("RABBIT_API_URI"),
        log_dir=str(tmp_path / "logs"),
        settle_timeout=120,
    )

    ok, counts, faults, lines = run(settings)

    report = "\n".join(lines)
    assert counts == dict.fromkeys(counts, 0), report
    assert faults["volunteer killed"] == 1, report
    assert faults["appeals killed"] == 1, report
    assert faults["funding killed"] == 1, report
    assert faults["RabbitMQ restarted"] == 1, report
    assert faults["events delivered twice"] >= JOURNEYS, report
    assert ok, report
