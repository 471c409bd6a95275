"""A small world for the funding service's rule tests: principals written out as
grid gives them, and builders of funds, gifts, grants and projects through the
service layer."""

import json
import uuid

import eventlet
from sqlalchemy import select, text
from usecases import run

from funding import funds, grants, ledger, projects
from yzw_kernel.envelope import make_envelope, read_envelope
from yzw_kernel.outbox import outbox_table

STREET, OTHER_STREET = "street-1", "street-2"
COMMUNITY, OTHER_COMMUNITY = "community-1", "community-2"
GRID = "grid-1"


def role(name, community=COMMUNITY, street=None):
    return {"role": name, "community_id": community, "street_id": street}


def person(pid, name=None, admin_roles=(), administers=(), grid_roles=(), community=COMMUNITY):
    """A principal as grid's `principal` RPC answers it."""
    return {
        "person_id": pid,
        "name": name or pid,
        "kind": "resident",
        "party_member": False,
        "household_id": f"home-{pid}" if community else None,
        "building_id": None,
        "estate_id": None,
        "grid_id": GRID if community == COMMUNITY else None,
        "community_id": community,
        "roles": [],
        "grid_roles": list(grid_roles),
        "admin_roles": list(admin_roles),
        "administers": list(administers),
    }


ADMIN = person("admin", "社区书记", [role("community_admin")], [COMMUNITY], community=None)
SECOND_ADMIN = person("admin-2", "社区主任", [role("community_admin")], [COMMUNITY], community=None)
TREASURER = person("treasurer", "出纳", [role("treasurer")], community=None)
SECOND_TREASURER = person("treasurer-2", "会计", [role("treasurer")], community=None)
WORKER = person(
    "worker",
    "网格员",
    grid_roles=[{"grid_id": GRID, "community_id": COMMUNITY, "role": "grid_worker"}],
)
RESIDENT = person("resident", "居民")
OTHER_TREASURER = person(
    "other-treasurer", "别处出纳", [role("treasurer", OTHER_COMMUNITY)], community=None
)
OTHER_ADMIN = person(
    "other-admin",
    "别处书记",
    [role("community_admin", OTHER_COMMUNITY)],
    [OTHER_COMMUNITY],
    community=None,
)
STREET_ADMIN = person(
    "street-admin",
    "街道",
    [role("street_admin", None, STREET)],
    [COMMUNITY, OTHER_COMMUNITY],
    community=None,
)


def open_fund(store, name=None, community=COMMUNITY, by=ADMIN):
    data = {"name": name or f"共建实践金-{uuid.uuid4().hex[:8]}", "community_id": community}
    return run(store, funds.create_fund, by, data, STREET)["id"]


def give(store, fund_id, amount, channel="caring", project_id=None, by=TREASURER, **donor):
    data = {"channel": channel, "amount_fen": amount, "project_id": project_id, **donor}
    return run(store, funds.donate, by, fund_id, data)


def applied_grant(store, fund_id, amount, purpose="emergency_relief", by=WORKER):
    data = {
        "fund_id": fund_id,
        "purpose": purpose,
        "beneficiary_name": "困难户",
        "amount_fen": amount,
        "reason": "突发疾病",
    }
    return run(store, grants.apply, by, data)


def approved_grant(store, fund_id, amount, purpose="emergency_relief"):
    grant = applied_grant(store, fund_id, amount, purpose)
    run(store, grants.decide, ADMIN, grant["id"], "approve", {})
    approved = run(store, grants.decide, TREASURER, grant["id"], "approve", {})
    assert approved["status"] == "approved"
    return approved


def new_project(store, fund_id, title=None, community=COMMUNITY):
    data = {
        "community_id": community,
        "fund_id": fund_id,
        "title": title or f"楼道改造-{uuid.uuid4().hex[:6]}",
        "estimated_cost_fen": 100_000,
        "beneficiaries": 300,
    }
    return run(store, projects.create, ADMIN, data)


def approved_project(store, fund_id, budget, title=None):
    project = new_project(store, fund_id, title)
    run(store, projects.assess, ADMIN, project["id"], {"note": "调研评估：可行"})
    approved = run(store, projects.approve, ADMIN, project["id"], {"budget_fen": budget})
    assert approved["status"] == "approved"
    return approved


def balances(store, fund_id):
    """The fund's balances and the same summed from its entries, zero rows left out."""
    with store.reading() as session:
        kept = ledger.balances(session, fund_id)
        summed = ledger.balances_from_entries(session, fund_id)
    return (
        {a: v for a, v in kept.items() if v != 0},
        {a: v for a, v in summed.items() if v != 0},
    )


def available(store, fund_id):
    kept, summed = balances(store, fund_id)
    assert kept == summed
    return kept.get(ledger.AVAILABLE, 0)


MONEY_TABLES = (
    "funds",
    "ledger_transactions",
    "ledger_entries",
    "balances",
    "donations",
    "in_kind_gifts",
    "grants",
    "grant_decisions",
    "projects",
    "project_claims",
    "project_appeals",
    "idempotent_requests",
    "outbox",
)


def everything(store, fund_id):
    """The fund as the public sees it and every row the service keeps: a refused
    operation must leave all of it as it was."""
    rows = {}
    with store.engine.connect() as connection:
        for table in MONEY_TABLES:
            rows[table] = connection.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2")).all()
    return {
        "ledger": run(store, funds.ledger_view, fund_id),
        "report": {
            k: v for k, v in run(store, funds.report, fund_id).items() if k != "generated_at"
        },
        "rows": rows,
    }


def slowed(monkeypatch, kind, seconds=0.2):
    """Have every posting of `kind` wait after its checks and before it writes, as a
    slow transaction would: racers then really meet at the database."""
    post = ledger.post

    def slow_post(tx, fund_id, kind_, *args, **kw):
        if kind_ == kind:
            eventlet.sleep(seconds)
        return post(tx, fund_id, kind_, *args, **kw)

    monkeypatch.setattr(ledger, "post", slow_post)


def delivered(source, event_type, data):
    """An event as a consumer receives it: built by its contract, read back."""
    return read_envelope(json.loads(json.dumps(make_envelope(source, event_type, data))))


def published(store, event_type):
    with store.engine.connect() as connection:
        payloads = connection.scalars(
            select(outbox_table.c.payload)
            .where(outbox_table.c.event_type == event_type)
            .order_by(outbox_table.c.seq)
        )
        return [json.loads(payload)["data"] for payload in payloads]
