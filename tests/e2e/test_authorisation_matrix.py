"""The authorisation matrix, generated from the gateway's route table (`ROUTES`).

One suite and one world serve the whole module: community A (street 1) with two
grids, its residents, grid workers, a community admin, a treasurer and one of
every object a route takes the id of; community B (street 2) with its own street
admin, community admin, treasurer, grid worker and resident. Each test walks
every route, so a route added later is covered by itself; it fails when a route
names a path parameter, a body or a query this module has no sample for.

1. Outsiders: every logged-in route that names an object (in its path, body or
   query), sent with A's ids by each of B's people, answers 403 or 404; so does
   a route about a household or a grid sent by A's people of another household
   or another grid.
2. Audience: every route the table declares `staff` or `treasurer` refuses A's
   own resident with 403, on A's real ids; every `treasurer` route refuses A's
   community admin and grid worker with 403.
3. Tokens: an expired token, one for another audience or issuer, one badly
   signed, one signed with `alg=none` and one without an expiry each get 401
   with a JSON error on every logged-in route.
4. Bodies: on every route with a body, an unknown field, and every field the
   route's answer has but its body has not (an appeal's status, a fund's
   balances, an amount the ledger decided), are refused with 400 naming them.
5. Where an appeal may go: every route whose body sends an appeal somewhere (a
   dispatch target) or asks a place about it (a vote's scope), sent by A's staff on
   A's appeal, refuses every kind of B's targets and places, and a made-up id of
   each kind, with 404 naming the field, and changes nothing; A's own target of each
   kind is still taken.

Each test collects every failure and asserts once with the whole list.
"""

import itertools
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlparse

import eventlet
import jwt
import pytest
from api_client import Api, next_phone
from conftest import (
    APPEALS_TEST_CONFIG,
    DEMO_PASSWORD,
    VOLUNTEER_TEST_CONFIG,
    grid_store,
    start_gateway,
)
from marshmallow import fields, validate
from waiting import wait_until

from gateway.http import API_PREFIX, ROUTES
from gateway.tokens import AUDIENCE, ISSUER

STREET_ADMIN_PHONES = ("13800000001", "13800000011")

# Lists that answer anyone with what that person may see: a filter naming another
# community narrows the answer to nothing, it never widens it. Checked to be empty.
FILTERED_LISTS = {("GET", "/appeals"): "appeals I may see, filtered"}

# What is private to a household, and to a grid, by the names a request carries:
# a resident of another household, or the worker of another grid, is refused.
HOUSEHOLD_PRIVATE = {
    "person_id",
    "household_id",
    "appeal_id",
    "appeal_ids",
    "proposal_id",
    "voucher_id",
    "grant_id",
}
GRID_PRIVATE = {
    "household_id",
    "appeal_id",
    "appeal_ids",
    "deliberation_id",
    "proposal_id",
    "grid_id",
    # a person's record (phone) is for their grid's staff; red stars are the
    # community's (its staff and its leaderboards show them)
    "/people/{person_id}",
}


def in_a_day():
    return (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()


# A valid body per body schema, naming community A's objects.
SAMPLE_BODIES = {
    "LoginIn": lambda w: {"phone": STREET_ADMIN_PHONES[0], "password": DEMO_PASSWORD},
    "PersonIn": lambda w: {
        "name": "新居民",
        "phone": next_phone(),
        "password": DEMO_PASSWORD,
        "household_id": w["household_id"],
    },
    "CommunityIn": lambda w: {"name": "越权社区", "street": w["street_id"]},
    "LevelNamesIn": lambda w: {"level_names": {"community": "村"}},
    "EstateIn": lambda w: {"community_id": w["community_id"], "name": "越权小区"},
    "GridIn": lambda w: {"community_id": w["community_id"], "name": "越权网格"},
    "BuildingIn": lambda w: {
        "estate_id": w["estate_id"],
        "grid_id": w["grid_id"],
        "name": "越权楼",
    },
    "UnitIn": lambda w: {"building_id": w["building_id"], "name": "越权单元"},
    "HouseholdIn": lambda w: {"unit_id": w["unit_id"], "number": "999"},
    "GridRoleIn": lambda w: {"person_id": w["other_resident"], "role": "red_steward"},
    "AdminRoleIn": lambda w: {"person_id": w["other_resident"], "role": "treasurer"},
    "PartyOrgIn": lambda w: {
        "community_id": w["community_id"],
        "kind": "grid_branch",
        "name": "越权支部",
        "parent_id": w["org_id"],
    },
    "PartyOrgMemberIn": lambda w: {"person_id": w["person_id"]},
    "MemberOrgIn": lambda w: {
        "community_id": w["community_id"],
        "name": "越权单位",
        "kind": "enterprise",
    },
    "DutyRosterIn": lambda w: {"member_org_ids": [str(uuid.uuid4()) for _ in range(6)]},
    "VisitIn": lambda w: {"household_id": w["household_id"], "notes": "越权走访"},
    "AppealIn": lambda w: {
        "category": "daily",
        "title": "越权诉求",
        "description": "不是我家的事",
        "household_id": w["household_id"],
    },
    "DispatchIn": lambda w: {"assignee_id": w["grid_worker"]},
    "DepartmentIn": lambda w: {"name": "越权科室"},
    "ResolveIn": lambda w: {"resolution": "办好了"},
    "RateIn": lambda w: {"score": 5},
    "ReasonIn": lambda w: {"reason": "越权"},
    "ExtensionIn": lambda w: {"days": 3, "reason": "越权"},
    "DeliberationIn": lambda w: {
        "question": "越权投票？",
        "options": ["是", "否"],
        "scope": "grid",
        "scope_id": w["grid_id"],
        "closes_at": in_a_day(),
    },
    "VoteIn": lambda w: {"option": w["vote_option"]},
    "ProposalIn": lambda w: {
        "title": "越权项目",
        "appeal_ids": [w["appeal_id"]],
        "estimated_cost_fen": 100,
        "beneficiaries": 1,
    },
    "AwardIn": lambda w: {"person_id": w["person_id"], "stars": 1, "reason": "越权"},
    "TeamIn": lambda w: {
        "community_id": w["community_id"],
        "name": "越权队",
        "focus": "patrol",
        "leader_id": w["other_resident"],
    },
    "TeamMemberIn": lambda w: {"person_id": w["other_resident"]},
    "ActivityIn": lambda w: {
        "team_id": w["team_id"],
        "title": "越权活动",
        "place": "别处",
        "starts_at": in_a_day(),
        "ends_at": (datetime.fromisoformat(in_a_day()) + timedelta(hours=1)).isoformat(),
        "capacity": 1,
        "stars_per_hour": 1,
    },
    "AttendanceIn": lambda w: {"person_id": w["person_id"]},
    "ActivityDecisionIn": lambda w: {"comment": "越权"},
    "RewardIn": lambda w: {
        "community_id": w["community_id"],
        "name": "越权回馈",
        "provider_id": w["other_resident"],
        "price_stars": 1,
        "stock": 1,
    },
    "FundIn": lambda w: {"name": "越权基金", "community_id": w["community_id"]},
    "DonationIn": lambda w: {"channel": "caring", "amount_fen": 100},
    "InKindIn": lambda w: {"description": "交通锥", "valuation_fen": 100},
    "ReversalIn": lambda w: {"reason": "越权"},
    "GrantIn": lambda w: {
        "fund_id": w["fund_id"],
        "purpose": "emergency_relief",
        "beneficiary_name": "某人",
        "amount_fen": 100,
        "reason": "越权",
    },
    "GrantDecisionIn": lambda w: {"comment": "越权"},
    "ProjectIn": lambda w: {
        "community_id": w["community_id"],
        "fund_id": w["fund_id"],
        "title": "越权项目",
    },
    "AssessIn": lambda w: {"note": "越权"},
    "ApproveIn": lambda w: {"budget_fen": 100, "fund_id": w["fund_id"]},
    "ClaimIn": lambda w: {
        "claimant_kind": "community",
        "claimant_name": "某单位",
        "part": "一段路",
        "form": "labour",
    },
    "CompleteIn": lambda w: {"beneficiaries": 1, "actual_spend_fen": 0},
}

# A valid query per query schema, naming community A's objects.
SAMPLE_QUERIES = {
    "AppealQuery": lambda w: {"community_id": w["community_id"]},
    "FundQuery": lambda w: {"community_id": w["community_id"]},
    "GrantQuery": lambda w: {"fund_id": w["fund_id"]},
    "ProjectQuery": lambda w: {"community_id": w["community_id"]},
    "StatsQuery": lambda w: {"community_id": w["community_id"]},
    "LeaderboardQuery": lambda w: {"community_id": w["community_id"]},
    "RewardQuery": lambda w: {"community_id": w["community_id"]},
    "PeopleQuery": lambda w: {"q": "A"},
    "TeamQuery": lambda w: {"community_id": w["community_id"]},
    "ActivityQuery": lambda w: {"community_id": w["community_id"]},
}


def short(path):
    return path[len(API_PREFIX) :]


def label(route):
    return f"{route.method} {short(route.path)}"


class NoSample(Exception):
    pass


def path_names(route):
    return re.findall(r"{(\w+)}", route.path)


def sample(route, kind, samples, ids):
    schema = getattr(route, kind)
    if schema.__name__ in samples:
        return samples[schema.__name__](ids)
    if kind == "query" and not any(f.required for f in schema().load_fields.values()):
        return {}  # a query of options only (a page's cursor and limit) needs no sample
    raise NoSample(f"{label(route)}: no sample {kind} for {schema.__name__}")


def mentions(value, known):
    if isinstance(value, list):
        return any(mentions(v, known) for v in value)
    return isinstance(value, str) and value in known


def build_request(route, ids):
    """(path with query string, body, what of community A the request names: its path
    parameters and the fields holding A's ids), or NoSample when this module has no id
    or sample for what the route takes."""
    values = dict(ids)
    if "role" in path_names(route):  # a role in the path is one its person holds
        values["person_id"] = ids["role_holder"]
    missing = [n for n in path_names(route) if n not in values]
    if missing:
        raise NoSample(f"{label(route)}: no id for path parameter(s) {', '.join(missing)}")
    path = short(route.path).format(**values)
    names = set(path_names(route))
    known = {v for k, v in ids.items() if k not in ("year", "role", "vote_option")}
    body = None
    if route.body is not None:
        body = sample(route, "body", SAMPLE_BODIES, ids)
        names |= {k for k, v in body.items() if mentions(v, known)}
    if route.query is not None:
        query = sample(route, "query", SAMPLE_QUERIES, ids)
        names |= {k for k, v in query.items() if mentions(v, known)}
        path += "?" + urlencode(query)
    return path, body, names


def call(api, route, ids):
    path, body, _ = build_request(route, ids)
    return api.request(route.method, path, json=body)


def answer(response):
    return f"{response.status_code} {response.text[:160]}"


def all_of(check, cases, at_once=6):
    """Run `check(*case)` for every case, a few at a time; the failures it returned."""
    pool = eventlet.GreenPool(at_once)
    return [failure for failure in pool.starmap(check, cases) if failure]


# -- the world -------------------------------------------------------------------


class World:
    def __init__(self, base_url, secret):
        self.base_url = base_url
        self.secret = secret
        self.people = {}  # who → logged-in Api
        self.person_ids = {}
        self.ids = {}  # what a route names → community A's object
        # per kind of dispatch target or vote scope: A's own one, and what is not A's
        # to send an appeal to (B's of that kind, and A's resident who holds no role)
        self.own_targets = {}
        self.not_targets = {}

    def login(self, phone):
        return Api(self.base_url).login(phone, DEMO_PASSWORD)

    def register(self, by, who, household_id=None, **extra):
        phone = next_phone()
        body = {"name": who, "phone": phone, "password": DEMO_PASSWORD, **extra}
        if household_id:
            body["household_id"] = household_id
        self.person_ids[who] = by.created("/people", body)["id"]
        self.people[who] = self.login(phone)
        return self.person_ids[who]


def build_places(world, admin, name, grids, homes_per_grid):
    """A community with an estate and `grids` grids, each a building, a unit and homes."""
    community = admin.created("/communities", {"name": name})["id"]
    estate = admin.created("/estates", {"community_id": community, "name": f"{name}一区"})["id"]
    places = {"community": community, "estate": estate, "grids": [], "homes": []}
    for n in range(1, grids + 1):
        grid = admin.created("/grids", {"community_id": community, "name": f"第{n}网格"})["id"]
        building = admin.created(
            "/buildings", {"estate_id": estate, "grid_id": grid, "name": f"{n}号楼"}
        )["id"]
        unit = admin.created("/units", {"building_id": building, "name": "1单元"})["id"]
        homes = [
            admin.created("/households", {"unit_id": unit, "number": f"{n}0{k}"})["id"]
            for k in range(1, homes_per_grid + 1)
        ]
        places["grids"].append({"id": grid, "building": building, "unit": unit, "homes": homes})
    return places


def staff(world, admin, places, prefix, grid_workers):
    """The community's admin and treasurer, and a worker per grid living in it."""
    community = places["community"]
    for role, who in (("community_admin", "admin"), ("treasurer", "treasurer")):
        person = world.register(admin, f"{prefix} {who}")
        body = {"person_id": person, "role": role}
        assert admin.post(f"/communities/{community}/admins", body).status_code == 201
    for grid, (who, home) in zip(places["grids"], grid_workers, strict=True):
        person = world.register(admin, f"{prefix} {who}", home)
        body = {"person_id": person, "role": "grid_worker"}
        assert admin.post(f"/grids/{grid['id']}/roles", body).status_code == 201


def build_world(world, streets):
    s1 = world.people["A's street admin"] = world.login(STREET_ADMIN_PHONES[0])
    s2 = world.people["B's street admin"] = world.login(STREET_ADMIN_PHONES[1])
    for who, api in (("A's street admin", s1), ("B's street admin", s2)):
        world.person_ids[who] = api.get("/me").json()["person"]["id"]

    a = build_places(world, s1, "海威社区", grids=2, homes_per_grid=3)
    a1, a2 = a["grids"]
    staff(
        world,
        s1,
        a,
        "A's",
        [("grid worker", a1["homes"][2]), ("other grid's worker", a2["homes"][0])],
    )
    for who, home in (
        ("A's resident", a1["homes"][0]),
        ("A's resident of another household", a1["homes"][1]),
        ("A's team leader", a2["homes"][1]),
        ("A's reward provider", a2["homes"][1]),
    ):
        world.register(s1, who, home)
    b = build_places(world, s2, "兴康社区", grids=1, homes_per_grid=2)
    staff(world, s2, b, "B's", [("grid worker", b["grids"][0]["homes"][1])])
    world.register(s2, "B's resident", b["grids"][0]["homes"][0])
    world.register(s2, "B's party member", b["grids"][0]["homes"][0], party_member=True)

    p, pid = world.people, world.person_ids
    resident, admin, treasurer = p["A's resident"], p["A's admin"], p["A's treasurer"]
    stars = "/stars/" + pid["A's resident"]
    wait_until(
        lambda: resident.get(stars).status_code == 200,
        message="the resident's red-star account",
    )
    appeal = resident.created(
        "/appeals",
        {
            "category": "infrastructure",
            "title": "楼道灯坏了",
            "description": "晚上一片漆黑",
            "household_id": a1["homes"][0],
        },
    )
    assert appeal["assignee"]["id"] == pid["A's grid worker"], appeal
    options = ["修", "不修"]
    deliberation = s1.created(
        f"/appeals/{appeal['id']}/deliberations",
        {
            "question": "要不要修？",
            "options": options,
            "scope": "grid",
            "scope_id": a1["id"],
            "closes_at": in_a_day(),
        },
    )
    fund = admin.created("/funds", {"name": "海威共建实践金", "community_id": a["community"]})
    donation = treasurer.created(
        f"/funds/{fund['id']}/donations",
        {"channel": "caring", "amount_fen": 100_000, "donor_name": "海威超市"},
    )
    grant = p["A's grid worker"].created(
        "/grants",
        {
            "fund_id": fund["id"],
            "purpose": "emergency_relief",
            "beneficiary_name": "居民",
            "beneficiary_id": pid["A's resident"],
            "amount_fen": 1_000,
            "reason": "突发疾病",
        },
    )
    project = admin.created(
        "/projects",
        {"community_id": a["community"], "fund_id": fund["id"], "title": "楼道改造"},
    )
    proposal = admin.created(
        "/project-proposals",
        {
            "title": "楼道亮灯",
            "appeal_ids": [appeal["id"]],
            "estimated_cost_fen": 50_000,
            "beneficiaries": 30,
        },
    )
    team = admin.created(
        "/teams",
        {
            "community_id": a["community"],
            "name": "平安灯巡逻队",
            "focus": "patrol",
            "leader_id": pid["A's team leader"],
        },
    )
    now = datetime.now(UTC).replace(microsecond=0)
    activity = p["A's team leader"].created(
        "/activities",
        {
            "team_id": team["id"],
            "title": "夜间巡逻",
            "place": "海威一区",
            "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
            "capacity": 10,
            "stars_per_hour": 2,
        },
    )
    resident.created(f"/activities/{activity['id']}/signups", None)
    reward = admin.created(
        "/rewards",
        {
            "community_id": a["community"],
            "name": "艾灸一次",
            "provider_id": pid["A's reward provider"],
            "price_stars": 1,
            "stock": 10,
        },
    )
    admin.created("/stars/awards", {"person_id": pid["A's resident"], "stars": 5, "reason": "巡逻"})
    voucher = resident.created(f"/rewards/{reward['id']}/redeem", None)
    org = admin.created(
        "/party-orgs",
        {"community_id": a["community"], "kind": "community_committee", "name": "海威社区党委"},
    )
    targets(world, streets, a, b, team["id"])
    world.ids = {
        "person_id": pid["A's resident"],
        "community_id": a["community"],
        "street_id": streets[0],
        "estate_id": a["estate"],
        "grid_id": a1["id"],
        "building_id": a1["building"],
        "unit_id": a1["unit"],
        "household_id": a1["homes"][0],
        "appeal_id": appeal["id"],
        "deliberation_id": deliberation["id"],
        "vote_option": options[0],
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
        "org_id": org["id"],
        "year": "2025",
        "role": "grid_worker",
        "role_holder": pid["A's grid worker"],
        "grid_worker": pid["A's grid worker"],
        "other_resident": pid["A's resident of another household"],
    }


def targets(world, streets, a, b, a_team):
    """What each community may send its appeals to, and where it may ask a question:
    a team, a member organisation and a department of its street each, beside its people
    and places."""
    s1, s2 = world.people["A's street admin"], world.people["B's street admin"]
    pid = world.person_ids
    own = {}
    for admin, street, places, key in ((s1, streets[0], a, "A"), (s2, streets[1], b, "B")):
        community = places["community"]
        org = {"community_id": community, "name": f"{key}物业", "kind": "property_company"}
        department = {"name": "城管科"}
        own[key] = {
            "member_org": admin.created("/member-orgs", org)["id"],
            "department": admin.created(f"/streets/{street}/departments", department)["id"],
            "grid": places["grids"][0]["id"],
            "estate": places["estate"],
            "building": places["grids"][0]["building"],
        }
    b_team = {
        "community_id": b["community"],
        "name": "兴康巡逻队",
        "focus": "patrol",
        "leader_id": pid["B's resident"],
    }
    own["B"]["volunteer_team"] = s2.created("/teams", b_team)["id"]
    world.own_targets = {**own["A"], "volunteer_team": a_team, "person": pid["A's grid worker"]}
    world.not_targets = {kind: [(f"B's {kind}", place)] for kind, place in own["B"].items()}
    world.not_targets["person"] = [
        (who, pid[who])
        for who in (
            "B's resident",
            "B's party member",
            "B's grid worker",
            "B's admin",
            "B's street admin",
            "A's resident of another household",  # neither staff nor a party member
        )
    ]


@pytest.fixture(scope="module")
def world(request, vhost_pipeline, tmp_path_factory):
    """Every service and the gateway on this module's vhost and SQLite files, and the world."""
    from nameko.containers import get_container_cls

    from appeals.service import AppealsService
    from funding.service import FundingService
    from grid.admin import create_street_admin
    from grid.service import GridService
    from volunteer.service import VolunteerService

    folder = tmp_path_factory.mktemp("authorisation")
    urls = {
        s: f"sqlite:///{folder}/{s}.sqlite3" for s in ("grid", "appeals", "volunteer", "funding")
    }
    store = grid_store(urls["grid"])
    streets = [
        create_street_admin(store, street, name, phone, DEMO_PASSWORD)["street_id"]
        for street, name, phone in zip(
            ("昆都仑区", "青山区"), ("街道管理员", "街道管理员二"), STREET_ADMIN_PHONES, strict=True
        )
    ]
    store.dispose()
    containers = []

    def make(service_cls, config):
        container = get_container_cls(config)(service_cls, config)
        containers.append(container)
        return container

    with vhost_pipeline.get() as vhost:
        amqp = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
        config = {
            "AMQP_URI": f"{amqp.scheme}://{amqp.netloc}/{vhost}",
            "OUTBOX_RELAY_INTERVAL": 0.2,
            "RPC_TIMEOUT": 5,
            "max_workers": 10,
        }
        try:
            for service_cls, name, extra in (
                (GridService, "grid", {}),
                (AppealsService, "appeals", APPEALS_TEST_CONFIG),
                (VolunteerService, "volunteer", VOLUNTEER_TEST_CONFIG),
                (FundingService, "funding", {}),
            ):
                make(service_cls, {**config, **extra, "DATABASE_URL": urls[name]}).start()
            gateway, base_url = start_gateway(make, config)
            built = World(base_url, gateway.config["TOKEN_SECRET"])
            build_world(built, streets)
            yield built
        finally:
            for container in containers:
                container.kill()


# -- 1. outsiders ----------------------------------------------------------------

FAR = (
    "B's street admin",
    "B's admin",
    "B's treasurer",
    "B's grid worker",
    "B's resident",
)
NEAR = {
    "A's resident of another household": HOUSEHOLD_PRIVATE,
    "A's other grid's worker": GRID_PRIVATE,
}


def naming_routes(ids):
    """Logged-in routes that name an object of A's: in the path, a body or a query."""
    named = []
    for route in ROUTES:
        try:
            if route.auth and build_request(route, ids)[2]:
                named.append(route)
        except NoSample:
            named.append(route)  # to be reported
    return named


def error_code(response):
    try:
        return response.json().get("error")
    except ValueError:
        return None


def test_nobody_reaches_another_communitys_households_or_grids_objects(world):
    failures, calls = [], []
    routes = naming_routes(world.ids)
    for route in routes:
        try:
            _, _, names = build_request(route, world.ids)
        except NoSample as missing:
            failures.append(str(missing))
            continue
        names.add(short(route.path))
        near = [who for who, private in NEAR.items() if names & private]
        calls += [(who, route) for who in list(FAR) + near]

    def check(who, route):
        response = call(world.people[who], route, world.ids)
        if (route.method, short(route.path)) in FILTERED_LISTS:
            shown = response.json().get("items") if response.status_code == 200 else None
            return None if shown == [] else f"{who}: {label(route)} showed {answer(response)}"
        if response.status_code in (403, 404) and error_code(response) in (
            "forbidden",
            "not_found",
        ):
            return None
        return f"{who}: {label(route)} → {answer(response)}"

    failures += all_of(check, calls)
    assert not failures, "\n".join(failures)
    assert len(routes) > 70 and len(calls) > len(FAR) * len(routes)  # all, by all far away


# -- 2. who a route is for ---------------------------------------------------------


def test_staff_and_treasurer_routes_refuse_the_communitys_own_resident(world):
    audiences = {r.audience for r in ROUTES}
    assert {"staff", "treasurer", "signed_in", "public"} <= audiences
    checks = [
        (who, route)
        for route in ROUTES
        if route.audience in ("staff", "treasurer")
        for who in ("A's resident",)
        + (("A's admin", "A's grid worker") if route.audience == "treasurer" else ())
    ]

    def check(who, route):
        try:
            response = call(world.people[who], route, world.ids)
        except NoSample as missing:
            return str(missing)
        if response.status_code != 403 or error_code(response) != "forbidden":
            return f"{who}: {route.audience} route {label(route)} → {answer(response)}"
        return None

    failures = all_of(check, checks)
    assert not failures, "\n".join(failures)
    assert len(checks) > 50


def test_the_openapi_document_says_who_each_route_is_for(world):
    document = Api(world.base_url).get("/openapi.json").json()
    published = {
        (method.upper(), path): operation["x-audience"]
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    assert published == {(r.method, r.path): r.audience for r in ROUTES}


# -- 3. tokens ---------------------------------------------------------------------


def forged_tokens(secret, person_id):
    now = datetime.now(UTC)
    good = {"sub": person_id, "iss": ISSUER, "aud": AUDIENCE, "iat": now}
    later = now + timedelta(hours=1)
    return {
        "valid": jwt.encode({**good, "exp": later}, secret, algorithm="HS256"),
        "expired": jwt.encode(
            {**good, "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)},
            secret,
            algorithm="HS256",
        ),
        "another audience": jwt.encode(
            {**good, "aud": "another-api", "exp": later}, secret, algorithm="HS256"
        ),
        "another issuer": jwt.encode(
            {**good, "iss": "somebody-else", "exp": later}, secret, algorithm="HS256"
        ),
        "badly signed": jwt.encode(
            {**good, "exp": later}, secret + "-but-not-quite", algorithm="HS256"
        ),
        "alg=none": jwt.encode({**good, "exp": later}, None, algorithm="none"),
        "no expiry": jwt.encode(good, secret, algorithm="HS256"),
    }


def test_every_logged_in_route_refuses_a_bad_token_with_401(world):
    tokens = forged_tokens(world.secret, world.person_ids["A's resident"])
    valid = Api(world.base_url, tokens.pop("valid"))
    assert valid.get("/me").status_code == 200  # the forger holds the real secret
    clients = {kind: Api(world.base_url, token) for kind, token in tokens.items()}

    def check(kind, route):
        try:
            response = call(clients[kind], route, world.ids)
        except NoSample as missing:
            return str(missing)
        if response.status_code != 401 or error_code(response) != "unauthenticated":
            return f"{kind} token: {label(route)} → {answer(response)}"
        return None

    routes = [r for r in ROUTES if r.auth]
    failures = all_of(check, itertools.product(sorted(clients), routes))
    assert not failures, "\n".join(failures)
    assert len(routes) > 80


# -- 4. what a body may carry -------------------------------------------------------


def some_value(name, field):
    """A plausible value for a field of an answer, sent where it does not belong."""
    if isinstance(field, fields.Boolean):
        return True
    if isinstance(field, (fields.Integer, fields.Float)):
        return 1_000_000
    if isinstance(field, fields.List):
        return []
    if isinstance(field, (fields.Dict, fields.Nested)):
        return {}
    return str(uuid.uuid4()) if name.endswith("id") else "closed"


def read_only_fields(route):
    """What the route's answer carries and its body does not: set by the service alone."""
    if route.response is None or not hasattr(route.response, "_declared_fields"):
        return {}
    body = {f.data_key or n for n, f in route.body().load_fields.items()}
    return {
        f.data_key or n: f
        for n, f in route.response().dump_fields.items()
        if (f.data_key or n) not in body
    }


def test_unknown_and_read_only_fields_in_a_body_are_refused(world):
    staff = world.people["A's street admin"]
    failures, refused = [], set()
    for route in [r for r in ROUTES if r.body is not None or r.query is not None]:
        try:
            path, body, _ = build_request(route, world.ids)
        except NoSample as missing:
            failures.append(str(missing))
            continue
        api = staff if route.auth else Api(world.base_url)
        extras = [("an unknown field", "not_a_field", 1)]
        if route.body is not None:
            extras += [
                ("a read-only field", name, some_value(name, field))
                for name, field in read_only_fields(route).items()
            ]
        for kind, name, value in extras:
            if route.body is not None:
                response = api.request(route.method, path, json={**body, name: value})
            else:
                response = api.request(route.method, f"{path}&{urlencode({name: value})}")
            named = response.json().get("fields", {}) if response.status_code == 400 else {}
            if set(named) != {name}:
                failures.append(f"{kind} {name!r}: {label(route)} → {answer(response)}")
            else:
                refused.add((route.method, route.path, name))
    # an action without a body refuses one rather than dropping it
    for route in [r for r in ROUTES if r.body is None and r.method in ("POST", "PUT", "DELETE")]:
        try:
            path, _, _ = build_request(route, world.ids)
        except NoSample as missing:
            failures.append(str(missing))
            continue
        api = staff if route.auth else Api(world.base_url)
        response = api.request(route.method, path, json={"status": "closed"})
        named = response.json().get("fields", {}) if response.status_code == 400 else {}
        if set(named) != {"status"}:
            failures.append(f"a body where none is taken: {label(route)} → {answer(response)}")
        else:
            refused.add((route.method, route.path, "status"))
    assert not failures, "\n".join(failures)
    assert ("POST", API_PREFIX + "/appeals/{appeal_id}/withdraw", "status") in refused
    # the examples the issue names are among them
    for method, path, name in (
        ("POST", "/appeals", "status"),
        ("POST", "/funds", "available_fen"),
        ("POST", "/funds/{fund_id}/donations", "id"),
        ("POST", "/funds/{fund_id}/transactions/{transaction_id}/reversal", "entries"),
        ("POST", "/projects/{project_id}/complete", "spent_fen"),
    ):
        assert (method, API_PREFIX + path, name) in refused


# -- 5. where an appeal may go ------------------------------------------------------

# A body field naming where an appeal is sent (a dispatch target) or where a question
# about it is put (a vote's scope), and the field saying which kind of target or place.
WHERE_TO = {"assignee_id": "assignee_kind", "scope_id": "scope"}
SENDERS = ("A's grid worker", "A's street admin")


def kinds(schema, name):
    """The kinds a body may name, from the schema's own OneOf."""
    for validator in schema().fields[name].validators:
        if isinstance(validator, validate.OneOf):
            return list(validator.choices)
    raise AssertionError(f"{schema.__name__}.{name} lists no kinds")


def sending_routes():
    return [
        (route, target, kind)
        for route in ROUTES
        if route.body is not None
        for target, kind in WHERE_TO.items()
        if target in route.body().fields
    ]


def send(world, who, route, ids, target, kind_field, kind, target_id):
    path, body, _ = build_request(route, ids)
    body = {**body, kind_field: kind, target: target_id}
    return world.people[who].request(route.method, path, json=body)


def test_nothing_is_sent_to_another_communitys_targets_or_put_to_its_places(world):
    routes = sending_routes()
    assert {label(route) for route, _, _ in routes} >= {
        "POST /appeals/{appeal_id}/dispatch",
        "POST /appeals/{appeal_id}/deliberations",
    }
    watcher = world.people["A's street admin"]
    appeal = f"/appeals/{world.ids['appeal_id']}"
    before = watcher.get(appeal).json()
    failures, cases = [], []
    for route, target, kind_field in routes:
        for kind in kinds(route.body, kind_field):
            if kind not in world.not_targets or kind not in world.own_targets:
                failures.append(f"{label(route)}: no sample {kind} here and elsewhere")
                continue
            made_up = [(f"a made-up {kind}", str(uuid.uuid4()))]
            for what, target_id in world.not_targets[kind] + made_up:
                cases += [
                    (who, route, target, kind_field, kind, what, target_id) for who in SENDERS
                ]

    def check(who, route, target, kind_field, kind, what, target_id):
        response = send(world, who, route, world.ids, target, kind_field, kind, target_id)
        named = response.json().get("fields", {}) if response.status_code == 404 else {}
        if error_code(response) != "not_found" or list(named) != [target]:
            return f"{who}: {label(route)} to {what} ({kind}) → {answer(response)}"
        return None

    failures += all_of(check, cases)
    assert not failures, "\n".join(failures)
    assert len(cases) > 2 * len(SENDERS) * len(routes)
    # nothing changed: the appeal, its timeline, and B's people have no vote to find
    assert watcher.get(appeal).json() == before
    for who in ("B's resident", "B's party member", "B's grid worker"):
        assert world.people[who].get("/deliberations").json()["items"] == [], who

    # the same routes still reach A's own target of every kind, on a fresh appeal
    fresh = world.people["A's resident"].created(
        "/appeals",
        {
            "category": "daily",
            "title": "垃圾桶满了",
            "description": "东门垃圾桶三天没清",
            "household_id": world.ids["household_id"],
        },
    )
    ids = {**world.ids, "appeal_id": fresh["id"]}
    for route, target, kind_field in routes:
        for kind in kinds(route.body, kind_field):
            own = world.own_targets[kind]
            response = send(world, SENDERS[0], route, ids, target, kind_field, kind, own)
            if response.status_code not in (200, 201):
                failures.append(f"{label(route)} to A's own {kind} → {answer(response)}")
    assert not failures, "\n".join(failures)
