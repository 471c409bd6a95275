"""The OpenAPI 3 document, generated from the route table and its marshmallow schemas."""

import functools
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from .schemas import ErrorOut

ERROR_TEXT = {
    400: "bad input: `fields` names each problem",
    401: "not logged in, or the token is not valid",
    403: "not allowed for you",
    404: "not found",
    409: "conflicts with the current state",
    413: "the request body is larger than the gateway's MAX_BODY_BYTES",
    429: "too many attempts; try again after `Retry-After` seconds",
    503: "a service is unavailable; try again shortly",
}
# a path parameter that is not an id, as `year_from_path` reads it
PATH_SCHEMAS = {"year": {"type": "integer", "minimum": 2000, "maximum": 2100}}
RETRY_AFTER = {
    "description": "seconds until a new attempt is considered",
    "schema": {"type": "integer", "minimum": 1},
}


def _operation_id(route):
    slug = re.sub(r"[^a-z0-9]+", "_", route.path.lower()).strip("_")
    return f"{route.method.lower()}_{slug}"


def build_openapi(routes):
    spec = APISpec(
        title="一张网 Yizhangwang API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Party-building-led community grid governance: one HTTP API."},
    )
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    spec.components.schema("Error", schema=ErrorOut)
    paths = {}
    for route in routes:
        operation = {
            "summary": route.summary,
            "tags": [route.tag],
            "operationId": _operation_id(route),
            "responses": {},
            "x-audience": route.audience,
        }
        names = re.findall(r"{(\w+)}", route.path)
        if names:
            operation["parameters"] = [
                {
                    "name": n,
                    "in": "path",
                    "required": True,
                    "schema": PATH_SCHEMAS.get(n, {"type": "string"}),
                }
                for n in names
            ]
        if route.query is not None:
            operation.setdefault("parameters", []).append({"in": "query", "schema": route.query})
        if route.parameters:
            operation.setdefault("parameters", []).extend(route.parameters)
        if route.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": route.body}},
            }
        ok = {"description": "success"}
        if route.response is not None:
            schema = {"type": "array", "items": route.response} if route.many else route.response
            ok["content"] = {"application/json": {"schema": schema}}
        operation["responses"][str(route.status)] = ok
        codes = set(route.errors) | {503}
        if route.body is not None or route.query is not None or names:
            codes.add(400)
        if route.body is not None:
            codes.add(413)
        if route.auth:
            codes |= {401, 403}
            operation["security"] = [{"bearer": []}]
        if names:
            codes.add(404)
        for code in sorted(codes):
            operation["responses"][str(code)] = {
                "description": ERROR_TEXT[code],
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
            if code == 429:
                operation["responses"]["429"]["headers"] = {"Retry-After": RETRY_AFTER}
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@functools.cache
def openapi_document():
    from .http import ROUTES

    return build_openapi(ROUTES)
