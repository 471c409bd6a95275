"""yzw_kernel.wait_for: a container waits for its broker and database, then becomes the service."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from yzw_kernel import wait_for as wf


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def flaky(failures):
    calls = []

    def check(timeout):
        calls.append(timeout)
        if len(calls) <= failures:
            raise ConnectionRefusedError("not yet")

    check.calls = calls
    return check


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_target_that_answers_late_is_retried_until_it_answers():
    clock, lines = FakeClock(), []
    check = flaky(failures=3)
    ready = wf.wait_for([("$AMQP_URI", check)], 60, 2, clock, clock.sleep, lines.append)
    assert ready
    assert len(check.calls) == 4
    assert clock.slept == [2, 2, 2]
    assert lines == ["wait_for: waiting for $AMQP_URI (not yet)"]


def test_a_target_that_never_answers_fails_when_the_time_is_up_and_says_which():
    clock, lines = FakeClock(), []
    ready = wf.wait_for(
        [("$AMQP_URI", flaky(0)), ("$GRID_DATABASE_URL", flaky(1000))],
        10,
        1,
        clock,
        clock.sleep,
        lines.append,
    )
    assert not ready
    assert clock.now <= 10
    assert lines[-1] == "wait_for: $GRID_DATABASE_URL did not answer within 10s: not yet"


def test_targets_are_named_by_variable_and_checked_by_scheme():
    environ = {
        "AMQP_URI": "pyamqp://u:p@rabbitmq:5672/",
        "GRID_DATABASE_URL": "postgresql://grid:pw@postgres/grid",
        "LOCAL": "sqlite:///var/grid.sqlite3",
        "REDIS": "redis://cache",
    }
    for target in ("AMQP_URI", "GRID_DATABASE_URL", "LOCAL", "rpc:grid", "http://gw:8000/x"):
        assert callable(wf.make_check(target, environ))
    with pytest.raises(wf.TargetError, match="MISSING is not set"):
        wf.make_check("MISSING", environ)
    with pytest.raises(wf.TargetError, match="redis"):
        wf.make_check("REDIS", environ)
    with pytest.raises(wf.TargetError, match="AMQP_URI"):
        wf.make_check("rpc:grid", {})
    # an SQLite file needs no waiting
    wf.make_check("LOCAL", environ)(1)
    assert (
        wf.describe("GRID_DATABASE_URL") == "$GRID_DATABASE_URL"
    )  # never the URL: it has a password


def test_a_broker_that_refuses_connections_is_not_ready():
    url = f"pyamqp://guest:guest@127.0.0.1:{closed_port()}/"
    with pytest.raises(Exception):  # noqa: B017 - kombu's or the socket's error
        wf.check_amqp(url, 1)


def test_a_database_that_refuses_connections_is_not_ready():
    with pytest.raises(Exception):  # noqa: B017
        wf.check_database(f"postgresql://grid:pw@127.0.0.1:{closed_port()}/grid", 1)


@pytest.fixture
def http_server():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            self.send_response({"/ok": 200, "/missing": 404}.get(self.path, 503))
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_http_is_ready_when_it_answers_below_500(http_server):
    wf.check_http(f"{http_server}/ok", 2)
    wf.check_http(f"{http_server}/missing", 2)  # it answers: the server is up
    with pytest.raises(Exception, match="503"):
        wf.check_http(f"{http_server}/down", 2)


def test_main_execs_the_command_once_every_target_answers(http_server):
    executed = []
    status = wf.main(
        [f"{http_server}/ok", "--", "nameko", "run", "--config", "config.yml", "grid.service:X"],
        environ={},
        execvp=lambda file, args: executed.append((file, args)),
    )
    assert status == 0
    assert executed == [("nameko", ["nameko", "run", "--config", "config.yml", "grid.service:X"])]


def test_main_exits_1_without_running_the_command_when_a_target_stays_down(capsys):
    executed = []
    environ = {"AMQP_URI": f"pyamqp://guest:guest@127.0.0.1:{closed_port()}/"}
    argv = ["AMQP_URI", "--timeout", "0.5", "--interval", "0.1", "--", "nameko"]
    assert wf.main(argv, environ, execvp=lambda *a: executed.append(a)) == 1
    assert executed == []
    err = capsys.readouterr().err
    assert "$AMQP_URI did not answer within 0.5s" in err
    assert "guest:guest" not in err


def test_main_exits_2_for_a_target_that_is_not_set(capsys):
    assert wf.main(["GRID_DATABASE_URL", "--", "nameko"], environ={}, execvp=None) == 2
    assert "GRID_DATABASE_URL is not set" in capsys.readouterr().err


def test_without_a_command_it_only_checks():
    assert wf.main(["--timeout", "1"], environ={}, execvp=None) == 0
