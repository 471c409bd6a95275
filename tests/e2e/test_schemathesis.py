"""Schemathesis over the gateway's own OpenAPI document, as every role and with no token.

A small community is built first, with one of most things, so that path parameters
can name real ones. Then schemathesis, driven through its Python engine from this
one test (under `nameko test`'s eventlet like the rest), calls every operation in
the document as each role, least privileged first, and checks every answer:

- no server error (5xx) anywhere;
- only status codes, content types, headers and bodies that the document gives;
- input that breaks the document (a missing field, a wrong type, a string past its
  `maxLength`, a number out of range, a value outside its enum) refused with a 4xx;
- a method the path does not have answered 405 with an `Allow` header that is right.

Every role runs the examples phase: each operation once, its path parameters the
real ids and its body the simplest the document allows. The street admin, whom the
gateway lets furthest, runs the coverage phase too, over every operation: each
field missing, of the wrong type, just past each bound, out of its enum. With no
token, the public operations get the coverage phase as well. About 2,600 requests,
all derandomised: a failure found here is found again on the next run.
"""

import base64
import json
import logging
import re
from collections import Counter
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
import schemathesis
from api_client import build_community, next_phone
from marshmallow import fields as mfields
from marshmallow.validate import Length, OneOf, Range
from schemathesis.engine import Status, events, from_schema

from gateway.http import ROUTES
from yzw_kernel.errors import DomainError
from yzw_kernel.types import utcnow

# least privileged first: a later, stronger role's state changes (a revoked role,
# a closed vote) cannot take from a weaker one what it was given to test with
ROLES = ("anonymous", "resident", "grid_worker", "treasurer", "community_admin", "street_admin")

# The checks named in the issue, and the ones for methods, headers and auth.
CHECKS = {
    "not_a_server_error": {"enabled": True},
    "status_code_conformance": {"enabled": True},
    "content_type_conformance": {"enabled": True},
    "response_schema_conformance": {"enabled": True},
    "response_headers_conformance": {"enabled": True},
    "negative_data_rejection": {"enabled": True},
    "unsupported_method": {"enabled": True},
    "allow_header_conformance": {"enabled": True},
    # Off: the anonymous run shows every logged-in operation refusing no token, and
    # test_authorisation_matrix.py every kind of bad token.
    "ignored_auth": {"enabled": False},
    # Off: "schema-valid input gets a 2xx" cannot hold where validity spans fields or
    # the world (a vote's options must differ, community_id or grid_id but not both,
    # a household that exists), which JSON Schema does not say; the document gives
    # 400, 403, 404 and 409 for those, and status_code_conformance checks them.
    "positive_data_acceptance": {"enabled": False},
    # Off: a stored-object check for the stateful phase, which this run does not use.
    "use_after_free": {"enabled": False},
    "ensure_resource_availability": {"enabled": False},
}

# Genuine false positives, one operation and check each.
EXCLUDED = [
    {
        # `Allow: GET, HEAD, POST` is true: GET /stars/awards is GET /stars/{person_id}
        # with person_id "awards" (the document's template, werkzeug's routing), but the
        # check compares with the literal path alone, which has only POST.
        "include-path": "/api/v1/stars/awards",
        "include-method": "POST",
        "checks": {"allow_header_conformance": {"enabled": False}},
    },
]


@pytest.fixture
def test_config(test_config):
    """The suite's config with a patient RPC timeout: this test counts every 503 as a
    failure, and a busy machine must not turn a slow answer into one."""
    return {**test_config, "RPC_TIMEOUT": 10}


class AnswersAreNotFailures(logging.Filter):
    """Drops the traceback nameko logs for a worker that raised a DomainError: those are
    the API's answers (403, 404, 409...), thousands of them here, and formatting each
    traceback cost seconds. Any other exception is still logged with its traceback."""

    def filter(self, record):
        return not (record.exc_info and isinstance(record.exc_info[1], DomainError))


@pytest.fixture
def quiet_answers():
    containers = logging.getLogger("nameko.containers")
    answers = AnswersAreNotFailures()
    containers.addFilter(answers)
    yield
    containers.removeFilter(answers)


def person(suite, admin, household_id, name, role=None, community_id=None):
    phone = next_phone()
    made = admin.created(
        "/people",
        {"name": name, "phone": phone, "password": suite.password, "household_id": household_id},
    )
    if role:
        granted = admin.post(
            f"/communities/{community_id}/admins", {"person_id": made["id"], "role": role}
        )
        assert granted.status_code == 201, granted.text
    return made["id"], suite.anonymous().login(phone, suite.password)


def build_world(suite):
    """Two grids with a grid worker each; a community admin, a treasurer and a
    resident; an appeal with a vote and a project proposal; a fund with a donation,
    a grant and a project; a team with an activity; a reward and a voucher; a party
    organisation. Returns their ids and each role's logged-in client."""
    ids = build_community(suite, grids=2)
    admin = suite.admin()
    community, home, grid = ids["community"], ids["households"][0][0], ids["grids"][0]
    people = {"anonymous": suite.anonymous(), "street_admin": admin}
    ids["community_admin"], people["community_admin"] = person(
        suite, admin, home, "社区书记", "community_admin", community
    )
    ids["treasurer"], people["treasurer"] = person(
        suite, admin, home, "出纳", "treasurer", community
    )
    ids["resident"], people["resident"] = person(suite, admin, home, "居民")
    people["grid_worker"] = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    staff, worker, resident = people["community_admin"], people["grid_worker"], people["resident"]
    head = admin.post(
        f"/grids/{grid}/roles",
        {"person_id": ids["resident"], "role": "building_head", "building_id": ids["buildings"][0]},
    )
    assert head.status_code == 201, head.text

    appeal = resident.created(
        "/appeals",
        {
            "category": "parking",
            "title": "小区停车难",
            "description": "晚上消防通道被占",
            "household_id": home,
        },
    )
    deliberation = worker.created(
        f"/appeals/{appeal['id']}/deliberations",
        {
            "question": "东门空地改成停车位还是健身区？",
            "options": ["停车位", "健身区"],
            "scope": "grid",
            "scope_id": grid,
            "closes_at": (utcnow() + timedelta(days=3)).isoformat(),
        },
    )
    proposal = staff.created(
        "/project-proposals",
        {
            "title": "停车位改造",
            "appeal_ids": [appeal["id"]],
            "estimated_cost_fen": 100_000,
            "beneficiaries": 50,
        },
    )
    fund = staff.created("/funds", {"name": "共建实践金", "community_id": community})
    donation = people["treasurer"].created(
        f"/funds/{fund['id']}/donations",
        {"channel": "mutual_aid", "amount_fen": 50_000, "donor_name": "王阿姨"},
    )
    grant = worker.created(
        "/grants",
        {
            "fund_id": fund["id"],
            "purpose": "emergency_relief",
            "beneficiary_name": "困难户",
            "amount_fen": 10_000,
            "reason": "突发疾病",
        },
    )
    project = staff.created(
        "/projects", {"community_id": community, "fund_id": fund["id"], "title": "楼道改造"}
    )
    team = staff.created(
        "/teams",
        {
            "community_id": community,
            "name": "平安灯巡逻队",
            "focus": "patrol",
            "leader_id": ids["workers"][0],
        },
    )
    starts = utcnow() + timedelta(days=1)
    activity = worker.created(
        "/activities",
        {
            "team_id": team["id"],
            "title": "夜间巡逻",
            "place": "海威一区",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "capacity": 5,
            "stars_per_hour": 6,
        },
    )
    staff.created("/stars/awards", {"person_id": ids["resident"], "stars": 20, "reason": "巡逻"})
    reward = staff.created(
        "/rewards",
        {
            "community_id": community,
            "name": "理疗一次",
            "provider_id": ids["community_admin"],
            "price_stars": 5,
            "stock": 3,
        },
    )
    voucher = resident.created(f"/rewards/{reward['id']}/redeem", None)
    party_org = staff.created(
        "/party-orgs",
        {"community_id": community, "kind": "community_committee", "name": "社区党委"},
    )
    real = {
        "person_id": ids["resident"],
        "community_id": community,
        "street_id": suite.street_id,
        "household_id": home,
        "unit_id": ids["units"][0],
        "grid_id": grid,
        "role": "building_head",
        "org_id": party_org["id"],
        "year": utcnow().year,
        "appeal_id": appeal["id"],
        "deliberation_id": deliberation["id"],
        "proposal_id": proposal["id"],
        "fund_id": fund["id"],
        "transaction_id": donation["transaction_id"],
        "grant_id": grant["id"],
        "project_id": project["id"],
        "team_id": team["id"],
        "activity_id": activity["id"],
        "reward_id": reward["id"],
        "voucher_id": voucher["id"],
        "code": voucher["code"],
        "estate_id": ids["estate"],
        "building_id": ids["buildings"][0],
    }
    return real, people


def with_examples(document, real):
    """The document with a real id as the example of each path parameter: the examples
    phase reaches real things, the other phases still make ids up."""
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path":
                    parameter["example"] = real[parameter["name"]]
    return document


def config_for(role, token, base_url):
    """The examples phase for every role; the coverage phase for the street admin on
    every operation (bad input only: the gateway checks a body before it asks anybody
    who the caller is, so one role shows it for all) and with no token on the public
    operations. No fuzzing: the same random cases again, for seconds the budget
    does not have."""
    street_admin, anonymous = role == "street_admin", role == "anonymous"
    coverage = {
        "enabled": street_admin or anonymous,
        "generation": {"mode": "negative" if street_admin else "all"},
        "unexpected-methods": ["PATCH"],  # one method no path has: 405 and Allow
    }
    only_public = [
        {"include-by": "/x-audience != public", "phases": {"coverage": {"enabled": False}}}
    ]
    return schemathesis.Config.from_dict(
        {
            "base-url": base_url,
            "headers": {"Authorization": f"Bearer {token}"} if token else {},
            "seed": 7,
            "workers": 1,
            "continue-on-failure": True,  # every failure of an operation, not its first
            "cache": {"enabled": False},
            "generation": {"deterministic": True, "database": "none", "max-examples": 1},
            "checks": CHECKS,
            "phases": {
                "examples": {
                    "enabled": True,
                    "fill-missing": True,  # an operation with no example gets one made
                    # bodies name made-up ids, which finds each route's 404; ids seen in
                    # earlier answers would reach further but cost a third of the budget
                    "extra-data-sources": {"responses": False},
                },
                "coverage": coverage,
                "fuzzing": {"enabled": False},
                "stateful": {"enabled": False},
            },
            "operations": EXCLUDED + (only_public if anonymous else []),
        }
    )


def failures_of(event):
    """Each failed check of a finished scenario: the check, the request as curl, the answer."""
    recorder = event.recorder
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status != Status.FAILURE:
                continue
            failure = check.failure_info.failure
            interaction = recorder.interactions.get(failure.case_id or case_id)
            response = interaction.response if interaction else None
            answer = f"{response.status_code} {response.content[:300]!r}" if response else "none"
            yield (
                f"{recorder.label} [{event.phase.value}] {check.name}: {failure.title}\n"
                f"    {failure.message[:300]}\n"
                f"    {check.failure_info.code_sample[:600]}\n"
                f"    -> {answer}"
            )


def run(role, token, document, base_url):
    """One schemathesis run as `role`: its failures, the operations it sent requests
    to, and how many answers it had by status."""
    schema = schemathesis.openapi.from_dict(document, config=config_for(role, token, base_url))
    failures, tested, statuses = [], set(), Counter()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            failures.extend(failures_of(event))
            answers = [i.response for i in event.recorder.interactions.values() if i.response]
            if answers:
                tested.add(event.recorder.label)
            statuses.update(response.status_code for response in answers)
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            failures.append(f"schemathesis could not run: {event!r}")
    return failures, tested, statuses


def test_every_role_gets_answers_the_document_gives_and_bad_input_is_refused(suite, quiet_answers):
    real, people = build_world(suite)
    document = with_examples(suite.anonymous().get("/openapi.json").json(), real)
    operations = {
        f"{method.upper()} {path}"
        for path, methods in document["paths"].items()
        for method in methods
    }
    base_url = suite.base_url.removesuffix("/api/v1")

    report = []
    for role in ROLES:
        failures, tested, statuses = run(role, people[role].token, document, base_url)
        report += [f"as {role}: {failure}" for failure in failures]
        report += [f"as {role}: never answered: {label}" for label in sorted(operations - tested)]
        if not any(200 <= status < 300 for status in statuses):
            report.append(f"as {role}: no operation answered 2xx: {dict(statuses)}")
    assert not report, "\n".join(report)


# -- odd values: whatever the document lets through, no route answers 5xx ----------
#
# Beside schemathesis, which sends what the document describes, these send what it
# cannot describe: numbers past any column, times that overflow on the way to UTC,
# tampered cursors, and text that is not text. Every route that takes one is found in
# the gateway's route table, so a new route is covered the day it is added. Each body
# is valid but for the one odd value, built from the route's own schema, so that
# without the kernel's field types the value would reach the service and its database.

# beyond every column (BIGINT included) and every business maximum
ODD_INTEGERS = (2**53 + 1, 2**63, -(2**63) - 1, 10**30)
ODD_TIMES = (
    "9999-12-31T23:59:59-12:00",  # overflows when converted to UTC
    "0001-01-01T00:00:00+14:00",  # underflows
    "0999-06-01T00:00:00+00:00",
    "3000-01-01T00:00:00+00:00",
)
# not text: NUL (PostgreSQL cannot store it), a lone surrogate, other control characters
ODD_TEXTS = ("a\x00b", "\ud800", "a\x07b", "a\x1b[31m", "a\x85b")
# a line break or a tab, refused in names, titles and ids (a description may have them)
LINE_BREAKS = ("a\nb", "a\tb")


def _b64(raw):
    raw = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
    return base64.urlsafe_b64encode(raw).decode()


A_TIME = "2026-01-01T00:00:00+00:00"
ODD_CURSORS = (
    "not a cursor!",
    "eyJhIjox",  # a cursor cut short
    _b64(b"\xff\xfe\xfd"),  # not UTF-8
    _b64({"a": 1}),
    _b64([]),
    _b64(None),
    _b64([[1], [2]]),
    _b64([2**63]),
    _b64([10**30]),
    _b64([1.5]),
    _b64([True]),
    _b64([None, None]),
    _b64(["9999-12-31T23:59:59-12:00", "x"]),
    _b64(["0001-01-01T00:00:00+14:00", "x"]),
    _b64(["2026-01-01T00:00:00", "x"]),  # a naive time
    _b64([A_TIME, "\x00"]),
    _b64([A_TIME, "\ud800"]),
    _b64([A_TIME, 1]),
    _b64([1, "x"]),
    _b64([A_TIME, "x", "y"]),
)

# body and query fields that name a thing of another kind than their own name says
REAL_ID_OF = {
    "leader_id": "person_id",
    "provider_id": "person_id",
    "assignee_id": "person_id",
    "donor_id": "person_id",
    "beneficiary_id": "person_id",
    "claimant_id": "person_id",
    "scope_id": "grid_id",
    "parent_id": "org_id",
}
# choices that need no other field (a directed gift names its project)
CHOICES = {"channel": "mutual_aid"}
# times that make a valid body: an activity ends after it starts, a visit is past
TIME_OFFSETS = {"ends_at": timedelta(days=1, hours=2), "visited_at": timedelta(hours=-1)}


def _inner(field):
    return field.inner if isinstance(field, mfields.List) else field


def _kind(field):
    field = _inner(field)
    if isinstance(field, mfields.DateTime):
        return "time"
    if isinstance(field, mfields.Integer):
        return "integer"
    if isinstance(field, mfields.String):
        return "text"
    return None


def _valid_value(name, field, real, suite):
    """A value the field takes, real ids for ids, so that the rest of a body passes."""
    if isinstance(field, mfields.List):
        bounds = next((v for v in field.validators if isinstance(v, Length)), None)
        length = (bounds.equal or bounds.min or 0) if bounds else 0
        if name in ("appeal_ids",):
            return [real["appeal_id"]]
        return [f"{_valid_value(name, field.inner, real, suite)}{n}" for n in range(length)]
    if isinstance(field, mfields.Dict):
        return {}
    choices = next((v.choices for v in field.validators if isinstance(v, OneOf)), None)
    if choices:
        return CHOICES.get(name, list(choices)[0])
    if isinstance(field, mfields.Boolean):
        return False
    if isinstance(field, mfields.DateTime):
        return (utcnow() + TIME_OFFSETS.get(name, timedelta(days=1))).isoformat()
    if isinstance(field, mfields.Integer):
        bounds = next((v for v in field.validators if isinstance(v, Range)), None)
        return max(1, bounds.min or 0) if bounds else 1
    real_name = REAL_ID_OF.get(name, name)
    if real_name in real:
        return real[real_name]
    if name == "phone":
        return next_phone()
    if name == "password":
        return suite.password
    return "测试"


def odd_cases(kinds):
    """(route, where, field name, field) for every body or query field of `kinds`."""
    for route in ROUTES:
        for where, schema in (("body", route.body), ("query", route.query)):
            if schema is None:
                continue
            for name, field in schema().fields.items():
                kind = "cursor" if name == "cursor" else _kind(field)
                if kind in kinds:
                    yield route, where, name, field, kind


def path_of(route, values):
    """The route's path with each parameter's value from `values`, from /api/v1 on."""
    path = re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), route.path)
    return path.removeprefix("/api/v1")


def valid_fields(schema, real, suite, but=None):
    """The required fields of `schema` with values it takes, all but `but`."""
    return {
        name: _valid_value(name, field, real, suite)
        for name, field in schema().fields.items()
        if field.required and name != but
    }


def send(api, route, path, body=None, query=None):
    if route.query is not None:
        path += "?" + urlencode(query or {})
    return api.request(route.method, path, json=body if route.body is not None else {})


def send_odd(api, route, where, name, field, value, real, suite):
    """The route's request, valid but for `name`, which is `value`."""
    schema = route.body if where == "body" else route.query
    sent = valid_fields(schema, real, suite, but=name)
    if isinstance(field, mfields.List):
        valid = _valid_value(name, field, real, suite) or ["x"]
        value = [value, *valid[1:]]
    elif isinstance(field, mfields.Dict):
        key = next(v.choices for v in field.key_field.validators if isinstance(v, OneOf))[0]
        value = {key: value}
    sent[name] = value
    return send(api, route, path_of(route, real), **{where: sent})


def refusals(api, role, cases, real, suite):
    """Each case answered otherwise than 400 naming its field (401 with no token on a
    route that needs one), as lines of a report. Half a character may be refused as
    the body's, `_body`: the gateway may find it in the JSON before any field is read."""
    wrong = []
    for route, where, name, field, value in cases:
        response = send_odd(api, route, where, name, field, value, real, suite)
        if role == "anonymous" and route.auth:
            expected = response.status_code == 401
        else:
            named = response.json().get("fields", {})
            whole_body = where == "body" and value == "\ud800" and "_body" in named
            expected = response.status_code == 400 and (name in named or whole_body)
        if not expected:
            wrong.append(
                f"as {role}: {route.method} {route.path} {where} {name}={value!r}: "
                f"{response.status_code} {response.text[:200]}"
            )
    return wrong


def test_odd_numbers_times_and_cursors_are_refused_with_400_on_every_route(suite, quiet_answers):
    real, people = build_world(suite)
    odd = {"integer": ODD_INTEGERS, "time": ODD_TIMES, "cursor": ODD_CURSORS}
    cases = [
        (route, where, name, field, value)
        for route, where, name, field, kind in odd_cases(odd)
        for value in odd[kind]
    ]
    routes = {(route.method, route.path) for route, *_ in cases}
    assert len(routes) >= 20, routes  # the table was read: bodies, queries and pages

    report = []
    for role in ("street_admin", "anonymous"):
        report += refusals(people[role], role, cases, real, suite)
    assert not report, f"{len(report)} of {2 * len(cases)}:\n" + "\n".join(report)


@pytest.mark.both_backends  # PostgreSQL refuses NUL; SQLite stored it
def test_text_that_is_not_text_is_refused_with_400_in_every_field(suite, quiet_answers):
    real, people = build_world(suite)
    cases = []
    for route, where, name, field, _ in odd_cases({"text"}):
        texts = ODD_TEXTS if getattr(_inner(field), "multiline", False) else ODD_TEXTS + LINE_BREAKS
        if where == "query":  # a URL is UTF-8: it cannot carry a lone surrogate
            texts = [text for text in texts if text != "\ud800"]
        cases += [(route, where, name, field, text) for text in texts]
    fields_seen = {(route.path, name) for route, _, name, *_ in cases}
    assert len(fields_seen) >= 100, len(fields_seen)

    report = []
    for role in ("street_admin", "anonymous"):
        mine = [case for case in cases if role != "anonymous" or not case[0].auth]
        report += refusals(people[role], role, mine, real, suite)
        report += odd_paths(people[role], role, real, suite)
    assert not report, f"{len(report)} of {len(cases)}:\n" + "\n".join(report)


def odd_paths(api, role, real, suite):
    """Each route with an id in its path, the id NUL or another control character:
    refused naming it, before a database is asked (PostgreSQL cannot compare a NUL)."""
    wrong = []
    for route in ROUTES:
        for name in re.findall(r"{(\w+)}", route.path):
            for text in ("a\x00b", "a\x07b"):
                path = path_of(route, {**real, name: quote(text)})
                response = send(
                    api,
                    route,
                    path,
                    body=route.body and valid_fields(route.body, real, suite),
                    query=route.query and valid_fields(route.query, real, suite),
                )
                if role == "anonymous" and route.auth:
                    expected = response.status_code == 401
                else:
                    expected = response.status_code == 400 and name in response.json().get(
                        "fields", {}
                    )
                if not expected:
                    wrong.append(
                        f"as {role}: {route.method} {route.path} {name}={text!r}: "
                        f"{response.status_code} {response.text[:200]}"
                    )
    return wrong
