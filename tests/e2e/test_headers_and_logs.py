"""What every answer carries and what every refusal costs, over the real gateway:
`nosniff` on every answer and `no-store` on the API's; the protocol's own refusals
(an over-long URL or header, a malformed request line) in JSON like every other;
bodies nested too deep or holding a lone surrogate refused with 400; and an
expected refusal logged on one line, without a traceback."""

import json
import logging
import socket
from urllib.parse import urlparse

from api_client import build_community

LONG = 9000  # past the 8 KB a request line or a header line may take


def raw_exchange(suite, request_bytes):
    """Sends bytes as they are and reads the whole answer (the gateway closes)."""
    url = urlparse(suite.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as connection:
        connection.sendall(request_bytes)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in lines[1:])}
    return status, headers, body


def assert_json_refusal(status, headers, body, expected_status):
    assert status == expected_status, (status, body)
    assert headers["content-type"].startswith("application/json"), headers
    assert headers["x-content-type-options"] == "nosniff"
    assert int(headers["content-length"]) == len(body)
    answer = json.loads(body)
    assert answer["error"] and answer["message"], answer


def test_every_answer_is_not_sniffed_and_api_answers_are_not_stored(suite):
    admin = suite.admin()
    ids = build_community(suite, grids=1)
    anonymous = suite.anonymous()
    answers = {
        "a read": admin.get("/me"),
        "a creation": admin.post("/estates", {"community_id": ids["community"], "name": "二区"}),
        "the health check": anonymous.get("/health"),
        "the OpenAPI document": anonymous.get("/openapi.json"),
        "a 400": admin.post("/estates", {"community_id": ids["community"]}),
        "a 401": anonymous.get("/me"),
        "a 404 from a service": admin.get("/appeals/no-such-appeal"),
        "an unknown API path": anonymous.get("/no-such-route"),
        "a wrong method": anonymous.delete("/health"),
        "a failed login": anonymous.post("/auth/login", {"phone": "13000000000", "password": "x"}),
    }
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {
        "a read": 200,
        "a creation": 201,
        "the health check": 200,
        "the OpenAPI document": 200,
        "a 400": 400,
        "a 401": 401,
        "a 404 from a service": 404,
        "an unknown API path": 404,
        "a wrong method": 405,
        "a failed login": 401,
    }
    for name, answer in answers.items():
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", name
        assert answer.headers.get("Cache-Control") == "no-store", name
    page = anonymous.http.get(suite.base_url.replace("/api/v1", "/login"), timeout=10)
    assert page.headers.get("X-Content-Type-Options") == "nosniff"
    assert page.headers.get("Cache-Control") != "no-store"  # the console's files keep theirs


def test_the_protocols_own_refusals_answer_in_json(suite):
    host = urlparse(suite.base_url).netloc
    long_url = f"GET /api/v1/health?q={'9' * LONG} HTTP/1.1\r\nHost: {host}\r\n\r\n"
    assert_json_refusal(*raw_exchange(suite, long_url.encode()), 414)

    long_header = f"GET /api/v1/health HTTP/1.1\r\nHost: {host}\r\nX-Long: {'a' * LONG}\r\n\r\n"
    assert_json_refusal(*raw_exchange(suite, long_header.encode()), 400)

    bad_length = f"POST /api/v1/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Length: -5\r\n\r\n"
    assert_json_refusal(*raw_exchange(suite, bad_length.encode()), 400)

    assert_json_refusal(*raw_exchange(suite, b"NONSENSE\r\n\r\n"), 400)
    assert_json_refusal(
        *raw_exchange(suite, f"GET / HTTP/9.9\r\nHost: {host}\r\n\r\n".encode()), 505
    )

    # a URL just under the limit still reaches the API and is answered by it
    fits = (
        f"GET /api/v1/health?q={'9' * 8000} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    status, headers, _ = raw_exchange(suite, fits.encode())
    assert status == 200 and headers["cache-control"] == "no-store"


def test_bodies_too_deep_or_with_a_lone_surrogate_are_refused_with_400(suite):
    admin = suite.admin()
    ids = build_community(suite, grids=1)
    deep = "[" * 3000 + "]" * 3000
    fine = "[" * 20 + "]" * 20
    headers = {"Content-Type": "application/json"}
    for path, api in (("/auth/login", suite.anonymous()), ("/estates", admin)):
        for body in (deep, '{"phone": ' + deep + "}", '{"name": ' + "[" * 40 + "]" * 40 + "}"):
            answer = api.post(path, data=body, headers=headers)
            assert answer.status_code == 400, (path, answer.status_code, answer.text)
            assert answer.json()["error"] == "invalid_input"
            assert "nested deeper" in answer.json()["message"]
        # 20 levels parse, and the contract refuses the wrong type, naming the field
        answer = api.post(path, data='{"name": ' + fine + "}", headers=headers)
        assert answer.status_code == 400 and "nested" not in answer.json()["message"]
    surrogate = json.dumps({"community_id": ids["community"], "name": "@"}).replace("@", "\\ud800")
    answer = admin.post("/estates", data=surrogate, headers=headers)
    assert answer.status_code == 400, answer.text
    assert "surrogate" in answer.json()["message"]
    login = suite.anonymous().post(
        "/auth/login", data='{"phone": "13800000001", "password": "\\udfff"}', headers=headers
    )
    assert login.status_code == 400, login.text
    # a route that takes no body refuses a deep one as a body it does not take
    appeal_less = admin.post("/appeals/no-such/claim", data=deep, headers=headers)
    assert appeal_less.status_code == 400, appeal_less.text


def test_an_expected_refusal_is_one_log_line_without_a_traceback(suite, caplog):
    admin = suite.admin()
    anonymous = suite.anonymous()
    caplog.set_level(logging.DEBUG, logger="nameko.containers")
    caplog.clear()
    refusals = [
        admin.get("/appeals/no-such-appeal"),  # 404 in appeals, then in the gateway
        admin.post("/estates", {"community_id": "nope", "name": "x"}),  # 404 from grid
        anonymous.get("/me"),  # 401 in the gateway
        admin.post("/estates", {"name": "x"}),  # 400 in the gateway
    ]
    assert [r.status_code for r in refusals] == [404, 404, 401, 400]
    worker_records = [r for r in caplog.records if r.name == "nameko.containers"]
    refused = [r.getMessage() for r in worker_records if r.getMessage().startswith("refused ")]
    assert any(line.startswith("refused appeals.get: not_found (404)") for line in refused)
    assert any(line.startswith("refused gateway.") and "(401)" in line for line in refused)
    assert len(refused) >= 6, refused  # each refusal in the service and in the gateway
    tracebacks = [r for r in worker_records if r.exc_info or r.exc_text]
    assert tracebacks == [], [r.getMessage() for r in tracebacks]
    levels = {r.levelno for r in worker_records if r.getMessage().startswith("refused ")}
    assert levels == {logging.INFO}
