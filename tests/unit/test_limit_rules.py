"""Limits that hold everywhere: every list pages or is bounded by design, every
RPC goes through the kernel's timed proxies, failed logins lock by a sliding
window, and the gateway's settings for bodies and proxies are checked."""

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from marshmallow import validate
from nameko.exceptions import ConfigurationError, deserialize, serialize
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

import gateway.service  # noqa: F401 - registers the routes
from gateway.http import (
    DEFAULT_MAX_BODY_BYTES,
    ROUTES,
    client_address,
    max_body_bytes,
    trusted_proxies,
)
from gateway.openapi import openapi_document
from grid import domain
from grid.logins import LoginLimits
from grid.models import Visit
from volunteer.models import Entry
from yzw_kernel.contracts.paging import MAX_PAGE
from yzw_kernel.errors import InvalidInput, TooManyRequests
from yzw_kernel.paging import _cursor, _read

ROOT = Path(__file__).resolve().parents[2]

# Lists that only staff add to, a handful of items each: whole, on purpose.
BOUNDED_LISTS = {
    "/api/v1/communities/{community_id}/grids",
    "/api/v1/communities/{community_id}/party-orgs",  # a tree; a page of a tree is no tree
    "/api/v1/communities/{community_id}/member-orgs",
    "/api/v1/streets/{street_id}/departments",  # registered by the street's admin
    "/api/v1/communities/{community_id}/people",  # a search: at most `limit` (50) matches
    "/api/v1/units/{unit_id}/households",  # a unit's homes
    "/api/v1/funds",
    "/api/v1/rewards",
    "/api/v1/teams",
    "/api/v1/activities/{activity_id}/signups",  # at most the activity's capacity
}


def test_every_list_route_takes_a_capped_limit_and_a_cursor_or_is_bounded_by_design():
    paged = []
    for route in ROUTES:
        if route.many:
            assert route.path in BOUNDED_LISTS, f"{route.path} lists without pages"
            continue
        declared = route.response._declared_fields if route.response else {}
        if route.method != "GET" or "next_cursor" not in declared:
            continue
        paged.append(route.path)
        query = route.query._declared_fields if route.query else {}
        assert {"limit", "cursor"} <= set(query), route.path
        (cap,) = [v for v in query["limit"].validators if isinstance(v, validate.Range)]
        assert (cap.min, cap.max, query["limit"].load_default) == (1, MAX_PAGE, 20), route.path
    # appeals, votes, visits, stars, vouchers, activities, donations, in-kind gifts, ledger,
    # grants, projects
    assert len(paged) == 11


NAMEKO_PLAIN_PROXIES = {"RpcProxy", "ClusterRpcProxy", "ServiceRpcProxy", "ServiceProxy"}


def _plain_proxies_used(path):
    """Names of nameko's untimed RPC proxies a module imports or touches."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nameko"):
            found |= {alias.name for alias in node.names} & NAMEKO_PLAIN_PROXIES
        elif isinstance(node, ast.Attribute) and node.attr in NAMEKO_PLAIN_PROXIES:
            found.add(node.attr)
        elif isinstance(node, ast.Name) and node.id in NAMEKO_PLAIN_PROXIES:
            found.add(node.id)
    return found


def test_services_and_the_gateway_call_rpc_only_through_the_kernels_timed_proxies():
    timed_proxies = ROOT / "kernel" / "yzw_kernel" / "providers.py"  # builds on nameko's
    sources = [
        p
        for folder in ("services", "gateway", "kernel")
        for p in (ROOT / folder).rglob("*.py")
        if "migrations" not in p.parts and p != timed_proxies
    ]
    assert len(sources) > 20
    offenders = {str(p.relative_to(ROOT)): _plain_proxies_used(p) for p in sources}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_scan_finds_a_plain_proxy_however_it_is_spelled(tmp_path):
    module = tmp_path / "service.py"
    module.write_text(
        "import nameko.rpc\n"
        "from nameko.standalone.rpc import ClusterRpcProxy as Cluster\n"
        "class S:\n    grid = nameko.rpc.RpcProxy('grid')\n"
    )
    assert _plain_proxies_used(module) == {"ClusterRpcProxy", "RpcProxy"}


def test_logins_wait_until_the_oldest_of_the_last_failures_leaves_the_window():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    window = timedelta(minutes=15)
    ago = [now - timedelta(minutes=m) for m in (1, 2, 3, 4, 10)]  # newest first

    assert domain.login_retry_after(ago[:4], 5, window, now) == 0
    assert domain.login_retry_after(ago, 5, window, now) == 5 * 60  # 10 minutes ago + 15
    assert domain.login_retry_after(ago, 3, window, now) == 12 * 60  # the third newest
    just = [now - window + timedelta(milliseconds=1)] * 5
    assert domain.login_retry_after(just, 5, window, now) == 1  # rounded up, never 0


def test_a_strangers_delay_doubles_after_the_free_failures_up_to_its_most():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    just_now = now - timedelta(seconds=10)

    def delay(failures, newest=just_now):
        return domain.login_delay(failures, newest, 5, 30, 900, now)

    assert [delay(n) for n in range(5)] == [0] * 5
    assert [delay(n) for n in range(5, 12)] == [20, 50, 110, 230, 470, 890, 890]
    assert delay(10_000) == 890  # no overflow, however many
    assert delay(5, now - timedelta(seconds=30)) == 0  # waited out
    assert delay(5, now - timedelta(seconds=29.5)) == 1  # rounded up, never 0
    assert delay(5, None) == 0


def test_login_limits_come_from_config_and_a_bad_value_stops_the_start():
    assert LoginLimits.from_config({}) == LoginLimits(5, 20, 900, 30, 900, 86400, 30)
    config = {
        "LOGIN_MAX_FAILURES": "3",
        "LOGIN_WINDOW_SECONDS": "2.5",
        "LOGIN_DELAY_SECONDS": "1",
        "LOGIN_DELAY_MAX_SECONDS": "4",
        "LOGIN_PHONE_WINDOW_SECONDS": "60",
        "LOGIN_KNOWN_DAYS": "0.5",
    }
    assert LoginLimits.from_config(config) == LoginLimits(3, 20, 2.5, 1, 4, 60, 0.5)
    for name in (
        "LOGIN_MAX_FAILURES",
        "LOGIN_MAX_FAILURES_PER_ADDRESS",
        "LOGIN_WINDOW_SECONDS",
        "LOGIN_DELAY_SECONDS",
        "LOGIN_DELAY_MAX_SECONDS",
        "LOGIN_PHONE_WINDOW_SECONDS",
        "LOGIN_KNOWN_DAYS",
    ):
        for bad in ("0", "-1", "many", "nan"):
            with pytest.raises(ConfigurationError, match=name):
                LoginLimits.from_config({name: bad})
    # a delay longer than its most, or than the failures it is counted from last
    for wrong in (
        {"LOGIN_DELAY_SECONDS": "60", "LOGIN_DELAY_MAX_SECONDS": "30"},
        {"LOGIN_DELAY_MAX_SECONDS": "7200", "LOGIN_PHONE_WINDOW_SECONDS": "3600"},
    ):
        with pytest.raises(ConfigurationError, match="LOGIN_DELAY_SECONDS <= "):
            LoginLimits.from_config(wrong)


def test_too_many_requests_crosses_rpc_with_its_retry_after():
    arrived = deserialize(serialize(TooManyRequests("too many failed logins", retry_after=42)))

    assert type(arrived) is TooManyRequests
    assert (arrived.status, arrived.retry_after) == (429, 42)
    assert arrived.headers() == {"Retry-After": "42"}
    assert arrived.to_json() == {"error": "too_many_requests", "message": "too many failed logins"}


def test_the_gateways_body_limit_and_proxy_settings_are_checked():
    assert max_body_bytes({}) == DEFAULT_MAX_BODY_BYTES == 1024 * 1024
    assert max_body_bytes({"MAX_BODY_BYTES": "4096"}) == 4096
    assert trusted_proxies({}) == 0 and trusted_proxies({"TRUSTED_PROXIES": "2"}) == 2
    for bad in ("0", "-5", "1MB"):
        with pytest.raises(ConfigurationError, match="MAX_BODY_BYTES"):
            max_body_bytes({"MAX_BODY_BYTES": bad})
    with pytest.raises(ConfigurationError, match="TRUSTED_PROXIES"):
        trusted_proxies({"TRUSTED_PROXIES": "-1"})


def test_the_client_address_believes_x_forwarded_for_only_as_far_as_trusted_proxies():
    def request(forwarded=None):
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        builder = EnvironBuilder(headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.9"})
        return Request(builder.get_environ())

    spoofed = "6.6.6.6, 1.2.3.4, 10.0.0.8"
    assert client_address(request(spoofed), {}) == "10.0.0.9"
    assert client_address(request(spoofed), {"TRUSTED_PROXIES": 1}) == "10.0.0.8"
    assert client_address(request(spoofed), {"TRUSTED_PROXIES": 2}) == "1.2.3.4"
    # fewer addresses than proxies: the header was not written by them
    assert client_address(request("1.2.3.4"), {"TRUSTED_PROXIES": 2}) == "10.0.0.9"
    assert client_address(request(), {"TRUSTED_PROXIES": 1}) == "10.0.0.9"


def test_the_openapi_document_gives_413_for_bodies_and_429_with_retry_after_for_login():
    paths = openapi_document()["paths"]
    for route in ROUTES:
        responses = paths[route.path][route.method.lower()]["responses"]
        assert ("413" in responses) == (route.body is not None), route.path
    login = paths["/api/v1/auth/login"]["post"]["responses"]
    assert login["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
    for route in ROUTES:
        if route.query is not None and "limit" in route.query._declared_fields:
            responses = paths[route.path][route.method.lower()]["responses"]
            assert "400" in responses, route.path


def test_a_cursor_gives_back_the_values_it_was_made_of_and_nothing_else_passes():
    moment = datetime(2026, 11, 23, 8, 30, 15, 123456, tzinfo=UTC)
    visits = [Visit.visited_at, Visit.id]
    assert _read(_cursor([moment, "v-1"]), visits) == [moment, "v-1"]
    assert _read(_cursor([41]), [Entry.id]) == [41]
    forged = [
        ("not base64 at all!", visits),
        (_cursor([moment, "v-1", "extra"]), visits),
        (_cursor(["2026-11-23T08:30:15", "v-1"]), visits),  # a time without its zone
        (_cursor([41, "v-1"]), visits),
        (_cursor(["41"]), [Entry.id]),
        (_cursor([True]), [Entry.id]),
    ]
    for cursor, order in forged:
        with pytest.raises(InvalidInput) as refused:
            _read(cursor, order)
        assert refused.value.fields == {"cursor": ["not one of this list"]}, cursor
