"""Limits, end to end over the real gateway: page sizes, request bodies, failed
logins, and RPC timeouts between services. One running suite on SQLite, with
small limits and a short login window so that each shows quickly."""

import http.client
import json
import re
import time
from urllib.parse import urlencode, urlparse

import eventlet
import pytest
from api_client import Api, build_community, next_phone
from nameko.standalone.rpc import ServiceRpcProxy
from requests.adapters import HTTPAdapter

from gateway.http import ROUTES
from yzw_kernel.contracts.paging import MAX_PAGE
from yzw_kernel.errors import ServiceUnavailable

MAX_BODY_BYTES = 4096
LOGIN_MAX_FAILURES = 5
LOGIN_MAX_FAILURES_PER_ADDRESS = 8
LOGIN_WINDOW_SECONDS = 3
LOGIN_DELAY_SECONDS = 1
LOGIN_DELAY_MAX_SECONDS = 3
RPC_TIMEOUT = 2  # conftest's


@pytest.fixture
def test_config(test_config):
    return {
        **test_config,
        "MAX_BODY_BYTES": MAX_BODY_BYTES,
        "LOGIN_MAX_FAILURES": LOGIN_MAX_FAILURES,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": LOGIN_MAX_FAILURES_PER_ADDRESS,
        "LOGIN_WINDOW_SECONDS": LOGIN_WINDOW_SECONDS,
        "LOGIN_DELAY_SECONDS": LOGIN_DELAY_SECONDS,
        "LOGIN_DELAY_MAX_SECONDS": LOGIN_DELAY_MAX_SECONDS,
        "LOGIN_PHONE_WINDOW_SECONDS": 60,
    }


class FromAddress(HTTPAdapter):
    """Connects from another loopback address: another client, as the gateway sees it."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_at(suite, address):
    api = Api(suite.base_url)
    api.http.mount("http://", FromAddress(address))
    return api


def login(api, phone, password, **kw):
    return api.post("/auth/login", {"phone": phone, "password": password}, **kw)


def padded_login(phone, password, size):
    """A login body of exactly `size` bytes: valid JSON, padded with spaces."""
    body = json.dumps({"phone": phone, "password": password}).encode()
    return body + b" " * (size - len(body))


def raw_post(suite, path, headers, body):
    """POST with exactly these headers, whatever they claim."""
    url = urlparse(suite.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.putrequest("POST", url.path + path)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def test_pages_are_capped_and_bodies_over_the_limit_are_refused_with_413_json(suite):
    """Page sizes, then request bodies: one suite for both, to keep `make test` short."""
    admin = suite.admin()
    ids = build_community(suite, grids=1)
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    household = ids["households"][0][0]
    made = [
        worker.created("/visits", {"household_id": household, "notes": f"第{n}次"})["id"]
        for n in range(3)
    ]
    visits = f"/households/{household}/visits"

    first = worker.get(f"{visits}?limit=2").json()
    rest = worker.get(f"{visits}?{urlencode({'limit': 2, 'cursor': first['next_cursor']})}").json()
    assert [v["id"] for v in first["items"] + rest["items"]] == made[::-1]  # newest first
    assert rest["next_cursor"] is None
    for bad in ({"limit": 0}, {"limit": "ten"}, {"cursor": "not-ours"}):
        refused = worker.get(f"{visits}?{urlencode(bad)}")
        assert refused.status_code == 400, (bad, refused.text)
        assert set(refused.json()["fields"]) == set(bad)

    paged = [r for r in ROUTES if r.query is not None and "limit" in r.query._declared_fields]
    # the eleven lists that page, the leaderboard's top N and the people finder's matches
    assert len(paged) == 13
    caps = {"/api/v1/communities/{community_id}/people": 50}
    for route in paged:
        cap = caps.get(route.path, MAX_PAGE)
        path = re.sub(r"{\w+}", "x", route.path.removeprefix("/api/v1"))
        over = admin.get(f"{path}?limit={cap + 1}")
        assert over.status_code == 400, (route.path, over.text)
        assert "limit" in over.json()["fields"], route.path
        assert str(cap) in over.json()["fields"]["limit"][0]

    api, phone, password = suite.anonymous(), suite.admin_phone, suite.password
    json_header = {"Content-Type": "application/json"}

    at_limit = api.post("/auth/login", data=padded_login(phone, password, MAX_BODY_BYTES))
    assert at_limit.status_code == 200, at_limit.text

    over = api.post(
        "/auth/login", data=padded_login(phone, password, MAX_BODY_BYTES + 1), headers=json_header
    )
    assert over.status_code == 413
    assert over.json() == {
        "error": "payload_too_large",
        "message": f"the request body is larger than {MAX_BODY_BYTES} bytes",
    }

    def chunks(body, size=1000):
        for start in range(0, len(body), size):
            yield body[start : start + size]

    # chunked, no Content-Length: read within the limit, refused past it
    chunked = api.post("/auth/login", data=chunks(padded_login(phone, password, 2000)))
    assert chunked.status_code == 200, chunked.text
    chunked = api.post("/auth/login", data=chunks(padded_login(phone, password, 10_000)))
    assert chunked.status_code == 413
    assert chunked.json()["error"] == "payload_too_large"

    # a Content-Length over the limit is refused before the body is read
    status, content_type, body = raw_post(
        suite, "/auth/login", {**json_header, "Content-Length": str(10 * MAX_BODY_BYTES)}, b"{}"
    )
    assert (status, content_type) == (413, "application/json")
    assert json.loads(body)["error"] == "payload_too_large"
    # one under the truth is read no further than it says: never past the limit
    status, _, body = raw_post(suite, "/auth/login", {"Content-Length": "10"}, b"x" * 100_000)
    assert status == 400
    assert json.loads(body)["error"] == "invalid_input"

    # on a route that takes no body, and on no route at all, the same
    big = b"x" * (MAX_BODY_BYTES + 1)
    assert admin.post("/appeals/x/claim", data=big).status_code == 413
    assert admin.post("/nowhere", data=big).json()["error"] == "payload_too_large"


def test_failed_logins_slow_strangers_per_phone_and_refuse_per_address_and_a_silent_peer_gives_503(
    suite,
):
    admin = suite.admin()
    ids = build_community(suite, grids=2)
    phone, api = ids["worker_phones"][0], suite.anonymous()

    for _ in range(LOGIN_MAX_FAILURES):
        assert login(api, phone, "wrong password").status_code == 401
    sixth = login(api, phone, "wrong password")
    right = login(api, phone, suite.password)
    locked_until = time.monotonic() + int(right.headers["Retry-After"])

    for refused in (sixth, right):
        assert refused.status_code == 429
        assert refused.json()["error"] == "too_many_requests"
        assert 1 <= int(refused.headers["Retry-After"]) <= LOGIN_DELAY_SECONDS
    # an unknown phone is answered the same way: 429 tells nobody who has an account
    nobody, other_client = next_phone(), client_at(suite, "127.0.0.4")
    for _ in range(LOGIN_MAX_FAILURES):
        assert login(other_client, nobody, "wrong password").status_code == 401
    assert login(other_client, nobody, suite.password).status_code == 429
    # other phones are not locked
    assert admin.get("/me").status_code == 200
    assert login(api, suite.admin_phone, suite.password).status_code == 200

    # one address guessing across phones, each under its own limit, is locked there
    guesser, other_phone = client_at(suite, "127.0.0.2"), ids["worker_phones"][1]
    for guess in range(LOGIN_MAX_FAILURES_PER_ADDRESS):
        guessed = other_phone if guess % 2 else suite.admin_phone
        assert login(guesser, guessed, "wrong password").status_code == 401
    from_there = login(guesser, suite.admin_phone, suite.password)
    assert from_there.status_code == 429, from_there.text
    assert int(from_there.headers["Retry-After"]) >= 1
    # X-Forwarded-For is not believed: the gateway has no trusted proxy
    spoofed = login(
        guesser, suite.admin_phone, suite.password, headers={"X-Forwarded-For": "1.2.3.4"}
    )
    assert spoofed.status_code == 429
    # and from another address the same phones log in
    assert login(client_at(suite, "127.0.0.3"), other_phone, suite.password).status_code == 200

    time.sleep(max(0, locked_until - time.monotonic()))
    assert login(api, phone, suite.password).status_code == 200

    # RPC timeouts: the gateway's own calls are timed in test_grid_gateway; here
    # services' calls to another one. Appeals and funding ask grid, which is gone
    # (killed: quicker to stop than stop(), and its queue stays with nobody reading it).
    suite.containers["grid"].kill()
    principal = {"person_id": "p", "name": "居民"}
    calls = {
        "appeals": lambda rpc: rpc.submit(
            principal,
            {"category": "daily", "title": "路灯", "description": "坏了", "household_id": "h"},
        ),
        "funding": lambda rpc: rpc.create_fund(principal, {"name": "基金", "community_id": "c"}),
    }

    def timed(service):
        with ServiceRpcProxy(service, {"AMQP_URI": suite.amqp_uri}, timeout=5 * RPC_TIMEOUT) as rpc:
            started = time.monotonic()
            with pytest.raises(ServiceUnavailable, match="grid") as raised:
                calls[service](rpc)
            return time.monotonic() - started, raised.value.to_json()["error"]

    for service, (elapsed, error) in zip(
        calls, eventlet.GreenPool().imap(timed, calls), strict=True
    ):
        assert error == "service_unavailable"
        assert RPC_TIMEOUT <= elapsed < RPC_TIMEOUT + 1.5, (service, elapsed)


def test_the_owner_gets_in_on_their_device_while_a_stranger_fails_on_ever_slower(suite):
    ids = build_community(suite, grids=1)
    phone = ids["worker_phones"][0]
    owner = client_at(suite, "127.0.0.5")
    first = login(owner, phone, suite.password)
    assert first.status_code == 200, first.text
    device = first.json()["device"]

    # a stranger fails five times, from one address after another, and is then slowed
    # (the same whatever the password), each delay longer than the one before
    strangers = (client_at(suite, f"127.0.1.{n}") for n in range(1, 50))
    for _ in range(LOGIN_MAX_FAILURES):
        assert login(next(strangers), phone, "wrong password").status_code == 401
    delays, slowed = [], []
    for _ in range(3):
        slowed.append(login(next(strangers), phone, suite.password))
        assert slowed[-1].status_code == 429, slowed[-1].text
        assert slowed[-1].json()["error"] == "too_many_requests"
        delays.append(int(slowed[-1].headers["Retry-After"]))
        time.sleep(delays[-1])
        assert login(next(strangers), phone, "wrong password").status_code == 401
    assert 1 <= delays[0] < delays[1] < delays[2] <= LOGIN_DELAY_MAX_SECONDS
    assert login(next(strangers), phone, suite.password).status_code == 429

    # the owner: on their device from a new address, and at the address they used
    elsewhere = client_at(suite, "127.0.0.6")
    assert login(elsewhere, phone, suite.password).status_code == 429  # no device: a stranger
    back = login(elsewhere, phone, suite.password, headers={"X-Device": device})
    assert back.status_code == 200, back.text
    assert back.json()["device"] == device and back.json()["person"]["phone"] == phone
    assert login(owner, phone, suite.password).status_code == 200
    # a device token is no key: with a wrong password the owner's device gets 401
    assert login(owner, phone, "wrong password", headers={"X-Device": device}).status_code == 401

    # a phone nobody has: the same answers, word for word, and the same first delay
    nobody = next_phone()
    answers = [login(next(strangers), nobody, "wrong password") for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert answers[0].json() == {
        "error": "unauthenticated",
        "message": "wrong phone number or password",
    }
    assert answers[5].json() == slowed[0].json()
    assert answers[5].headers["Retry-After"] == slowed[0].headers["Retry-After"]

    too_long = login(owner, phone, suite.password, headers={"X-Device": "x" * 65})
    assert too_long.status_code == 400 and list(too_long.json()["fields"]) == ["X-Device"]
