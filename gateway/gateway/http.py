"""The gateway's HTTP entrypoint: JSON in, JSON out, one error mapping.

Every route is declared with `api(...)`, which records it in ROUTES for the
OpenAPI document and wraps the handler with authentication, body parsing
and response serialisation.
"""

import functools
import json
import logging
import re
from dataclasses import dataclass, field

from marshmallow import Schema
from nameko.exceptions import ConfigurationError, RemoteError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from yzw_kernel.errors import DomainError, InvalidInput, PayloadTooLarge
from yzw_kernel.logs import log_refusals_on_one_line
from yzw_kernel.validation import load

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# No contract nests deeper than a few levels; 3,000 levels would exhaust the
# parser's recursion and answer 500.
MAX_JSON_DEPTH = 32
# Request lines (method, path and query) longer than this answer 414 in JSON.
MAX_REQUEST_LINE = 8192
# Who a route is for, published as `x-audience`: `public` needs no login;
# `signed_in` is anyone logged in, the object's own rules deciding (a resident's
# appeal, a team's leader); `staff` refuses a resident holding no role there;
# `treasurer` is for money moves. A route that does not say is `staff`.
AUDIENCES = ("public", "signed_in", "staff", "treasurer")


def json_response(status, body, headers=None):
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype="application/json",
        headers=headers,
    )


def error_response(status, code, message, fields=None):
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return json_response(status, body)


def response_for(exc):
    """The one mapping from an exception to an HTTP answer; never a bare 500 page."""
    if isinstance(exc, DomainError):
        return json_response(exc.status, exc.to_json(), exc.headers())
    if isinstance(exc, HTTPException):
        code = re.sub(r"[^a-z]+", "_", (exc.name or "error").lower()).strip("_")
        response = error_response(exc.code or 500, code, exc.description or exc.name)
        if getattr(exc, "valid_methods", None):  # a 405 names the methods it allows (RFC 9110)
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response
    if isinstance(exc, RemoteError):
        log.error("unexpected error in a service: %s", exc)
        return error_response(500, "internal_error", "a service failed; the error is logged")
    log.exception("unexpected error in the gateway", exc_info=exc)
    return error_response(500, "internal_error", "the gateway failed; the error is logged")


class JsonWsgiApp(WsgiApp):
    """Unknown routes and wrong methods answer in JSON like everything else.

    The body is read here, before routing, and no further than `max_body_bytes`:
    a larger one is refused with 413 whether its Content-Length says so at once
    or a chunked body runs past the limit, and on routes that take no body too.
    """

    def __init__(self, server, max_body_bytes):
        super().__init__(server)
        self.max_body_bytes = max_body_bytes

    def __call__(self, environ, start_response):
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            # eventlet ends a chunked body itself; werkzeug reads one only when told so
            environ["wsgi.input_terminated"] = True
        request = Request(environ)
        # werkzeug stops a chunked body quietly at its maximum: read one byte more to tell
        request.max_content_length = self.max_body_bytes + 1
        try:
            if len(request.get_data(cache=True)) > self.max_body_bytes:
                raise RequestEntityTooLarge()
            adapter = self.url_map.bind_to_environ(environ)
            provider, values = adapter.match()
            request.path_values = values
            response = provider.handle_request(request)
        except RequestEntityTooLarge:
            response = response_for(
                PayloadTooLarge(f"the request body is larger than {self.max_body_bytes} bytes")
            )
        except HTTPException as exc:
            response = response_for(exc)
        return with_safety_headers(response, request.path)(environ, start_response)


def with_safety_headers(response, path):
    """Every answer: never sniffed into another type. API answers: never stored by a
    browser or a proxy (they carry personal data), unless a route says otherwise."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class JsonWebServer(WebServer):
    def get_wsgi_app(self):
        trusted_proxies(self.container.config)  # a bad setting stops the start, not a login
        return JsonWsgiApp(self, max_body_bytes(self.container.config))

    def get_wsgi_server(self, sock, wsgi_app, protocol=None, debug=False):
        server = super().get_wsgi_server(sock, wsgi_app, protocol=JsonProtocol, debug=debug)
        server.url_length_limit = MAX_REQUEST_LINE
        return server


def raw_refusal(status, reason, message):
    """A whole HTTP answer in bytes, for refusals made before any WSGI app runs."""
    code = re.sub(r"[^a-z]+", "_", reason.lower()).strip("_") or "bad_request"
    body = json.dumps({"error": code, "message": message}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Cache-Control: no-store\r\n\r\n"
    )
    return head.encode("latin-1") + body


class _JsonCannedRefusals:
    """eventlet refuses an over-long request line (414) or header (400), a bad
    Content-Length and the like by writing a canned `HTTP/1.0 4xx` answer with an
    empty body straight to the socket; this file turns each into the same answer
    in JSON. Every other write passes through unchanged (the gateway's own answers
    start `HTTP/1.1`)."""

    _CANNED = re.compile(rb"HTTP/1\.0 (4\d\d) ([^\r\n]*)\r\n.*?\r\n\r\n(.*)", re.S)

    def __init__(self, wfile):
        self._wfile = wfile

    def write(self, data):
        canned = self._CANNED.fullmatch(bytes(data)) if data[:10] == b"HTTP/1.0 4" else None
        if canned:
            status, reason, body = canned.groups()
            reason = reason.decode("latin-1")
            message = body.decode("latin-1").strip() or reason
            data = raw_refusal(int(status), reason, message)
        return self._wfile.write(data)

    def __getattr__(self, name):
        return getattr(self._wfile, name)


class JsonProtocol(HttpOnlyProtocol):
    """The HTTP protocol under the gateway, answering its own refusals in JSON."""

    def setup(self):
        super().setup()
        self.wfile = _JsonCannedRefusals(self.wfile)

    def send_error(self, code, message=None, explain=None):
        """http.server's refusals (a malformed request line, an unknown version) in JSON."""
        reason = self.responses.get(code, ("Error",))[0]
        self.close_connection = True  # not logged: the request line may carry personal data
        self.wfile.write(raw_refusal(code, reason, message or reason))


def max_body_bytes(config):
    """`MAX_BODY_BYTES` from the gateway's config: a whole number of bytes, at least 1."""
    value = config.get("MAX_BODY_BYTES")
    if value in (None, ""):
        return DEFAULT_MAX_BODY_BYTES
    try:
        limit = int(value)
    except (TypeError, ValueError):
        limit = 0
    if limit < 1:
        raise ConfigurationError(f"MAX_BODY_BYTES must be a whole number of bytes, not {value!r}")
    return limit


def trusted_proxies(config):
    """`TRUSTED_PROXIES`: how many proxies in front of the gateway append to X-Forwarded-For."""
    value = config.get("TRUSTED_PROXIES")
    try:
        count = int(value or 0)
    except (TypeError, ValueError):
        count = -1
    if count < 0:
        raise ConfigurationError(f"TRUSTED_PROXIES must be 0 or a number of proxies, not {value!r}")
    return count


def client_address(request, config):
    """The address a request came from, as far as the gateway can trust it.

    With no trusted proxy it is the peer's address and X-Forwarded-For is
    ignored: anybody can write that header. Behind N proxies it is the address
    the outermost of them saw, the N-th entry from the right.
    """
    hops = trusted_proxies(config)
    if hops:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")
        forwarded = [a.strip() for a in forwarded if a.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return request.remote_addr or "unknown"


class ApiEntrypoint(HttpRequestHandler):
    server = JsonWebServer()

    def setup(self):
        log_refusals_on_one_line()  # a refused request is one line in the log, not a traceback
        super().setup()

    def response_from_exception(self, exc):
        return response_for(exc)


@dataclass
class RouteSpec:
    method: str
    path: str  # OpenAPI style, /api/v1/grids/{grid_id}/roles
    summary: str
    tag: str
    body: type | None = None
    query: type | None = None
    response: type | None = None
    many: bool = False
    status: int = 200
    auth: bool = True
    errors: tuple = ()
    parameters: list = field(default_factory=list)
    audience: str = "staff"


ROUTES = []


def _werkzeug_rule(path):
    return re.sub(r"{(\w+)}", r"<\1>", path)


def read_json(request):
    raw = request.get_data(cache=True)
    if not raw:
        raise InvalidInput("a JSON body is required", {"_body": ["a JSON body is required"]})
    return parse_json(raw)


def parse_json(raw):
    """The body as JSON, refused with 400 when it is not JSON, nests deeper than
    MAX_JSON_DEPTH, or holds a lone surrogate (`"\\ud800"`), which no database or
    UTF-8 encoder takes."""
    try:
        value = json.loads(raw)
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(
            "the body is not valid JSON", {"_body": [f"not valid JSON: {error}"]}
        ) from None
    _check_json(value)
    return value


def _too_deep():
    message = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
    return InvalidInput(message, {"_body": [message]})


_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_json(value):
    """Walks the parsed body without recursion: depth, and text a database can store."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                message = "text holds a lone surrogate, which is not a character"
                raise InvalidInput(message, {"_body": [message]})
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children)


def refuse_a_body(request):
    """A route that takes no body says so, rather than dropping what was sent
    (`{"status": "closed"}` to an action must not look as if it counted)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return
    try:
        sent = parse_json(raw)
    except InvalidInput:
        sent = raw
    if sent in ({}, None):
        return
    if isinstance(sent, dict):
        fields = {name: ["this route takes no body"] for name in sent}
    else:
        fields = {"_body": ["this route takes no body"]}
    raise InvalidInput("this route takes no body", fields)


def api(
    method,
    path,
    *,
    summary,
    tag,
    body=None,
    query=None,
    response=None,
    many=False,
    status=200,
    auth=True,
    errors=(),
    parameters=(),
    audience=None,
):
    """Declare a route: `handler(self, request, principal, body, **path_values)`.

    `body` and `query` name marshmallow schemas the gateway checks first; the
    service receives what was sent (`body_as_sent`, `query_as_sent`) and checks
    it again at its own boundary. `parameters` are further OpenAPI parameter
    objects the route reads, such as a request header (see `header_parameter`).
    `audience` says who the route is for (see AUDIENCES).
    """
    full_path = API_PREFIX + path
    audience = audience or ("staff" if auth else "public")
    if audience not in AUDIENCES or (audience == "public") == auth:
        raise ValueError(f"{method} {path}: audience {audience!r} with auth={auth}")
    spec = RouteSpec(
        method,
        full_path,
        summary,
        tag,
        body,
        query,
        response,
        many,
        status,
        auth,
        errors,
        list(parameters),
        audience,
    )
    ROUTES.append(spec)

    def decorator(handler):
        @functools.wraps(handler)
        def endpoint(self, request, **path_values):
            principal = self.authenticate(request) if auth else None
            payload = None
            if body is not None:
                request.json_body = read_json(request)
                payload = load(body, request.json_body)
            elif method in ("POST", "PUT", "PATCH", "DELETE"):
                refuse_a_body(request)
            if query is not None:
                request.query_values = request.args.to_dict()
                payload = load(query, request.query_values)
            result = handler(self, request, principal=principal, body=payload, **path_values)
            if isinstance(result, Response):
                return result
            if response is not None and issubclass(response, Schema):
                result = response(many=many).dump(result)
            return json_response(status, result)

        return ApiEntrypoint.decorator(method, _werkzeug_rule(full_path))(endpoint)

    return decorator


def header_parameter(name, description, max_length=None):
    """An optional request header, as the OpenAPI document names it."""
    schema = {"type": "string"}
    if max_length is not None:
        schema["maxLength"] = max_length
    return {
        "name": name,
        "in": "header",
        "required": False,
        "description": description,
        "schema": schema,
    }


def body_as_sent(request):
    """The JSON body as sent: the service validates it again at its boundary."""
    return request.json_body


def year_from_path(value):
    try:
        year = int(value)
    except ValueError:
        raise InvalidInput("year is a number", {"year": ["a four-digit year"]}) from None
    if not 2000 <= year <= 2100:
        raise InvalidInput("year out of range", {"year": ["between 2000 and 2100"]})
    return year


def query_as_sent(request):
    return request.query_values
