"""Demo 共建实践金 for `make run`: 蓝天街道's fund, scaled to one community.

Gifts by channel (directed gifts of member organisations earmarked to projects;
爱心捐 of shops, 带头捐 of party members, 公益捐, 互助捐 of residents, some
anonymous), the in-kind gifts (300 traffic cones ≈ ¥3,000; 100 eye-care cards
≈ ¥36,000), a 救急 grant approved by two people and paid, and three 定向投
projects at different stages: one built from residents' appeals and completed
(its appeals resolve once the services run and hear of it), one in progress,
one assessed. Loading twice changes nothing.
"""

import os
import sys

from demo_appeals import open_appeals_store
from demo_community import COMMUNITY, LOGINS
from sqlalchemy import select

from appeals import projects as appeals_projects
from appeals.models import Appeal
from funding import funds, grants
from funding import projects as funding_projects
from funding.models import Fund
from funding.service import MIGRATIONS as FUNDING_MIGRATIONS
from grid import app as grid_app
from grid.admin import open_store
from grid.models import Community, GridRole, Person
from yzw_kernel.db import Store, database_url

FUND = "共建实践金"
OPEN = ("submitted", "dispatched", "claimed")
# Scaled from 蓝天街道 (¥3,000,000 directed, ¥36,000 from shops, members, residents);
# every amount is integer fen.
DIRECTED = [  # member organisations, earmarked to projects
    ("包钢集团第三分公司", "gates", 4_800_000),
    ("海威物业公司", "parking", 3_650_000),
    ("包钢集团第三分公司", "square", 6_000_000),
]
SHOPS = [("惠民超市", True, 200_000), ("海威便利店", True, 80_000), ("王建军", False, 50_000)]
LEADING = [(True, 100_000), (False, 80_000), (True, 50_000)]  # party members: (named, fen)
MUTUAL_AID = [(True, 20_000), (False, 10_000), (False, 8_888), (True, 5_000)]  # residents
IN_KIND = [
    ("交通锥", 300, "个", 300_000, "海威物业公司"),
    ("护眼卡", 100, "张", 3_600_000, "鹿城社工服务中心"),
]


def open_funding_store():
    url = os.environ.get("FUNDING_DATABASE_URL") or database_url({}, "funding")
    store = Store(url, source="funding", migrations=FUNDING_MIGRATIONS)
    store.migrate()
    return store


def _people(grid_store):
    """Principals of the demo logins, the community, and some donors' names."""
    with grid_store.transaction() as tx:
        by_phone = {
            role: tx.session.scalar(select(Person.id).where(Person.phone == phone))
            for role, phone in LOGINS.items()
        }
        principals = {role: grid_app.principal(tx, pid) for role, pid in by_phone.items()}
        community = tx.session.scalar(select(Community).where(Community.name == COMMUNITY))
        staff = select(GridRole.person_id)
        members = tx.session.scalars(
            select(Person.name)
            .where(Person.party_membership.is_not(None), Person.id.not_in(staff))
            .order_by(Person.phone)
            .limit(3)
        ).all()
        residents = tx.session.scalars(
            select(Person.name)
            .where(
                Person.household_id.is_not(None),
                Person.party_membership.is_(None),
                Person.id.not_in(staff),
                Person.phone.not_in(list(LOGINS.values())),
            )
            .order_by(Person.phone)
            .limit(4)
        ).all()
    return principals, community.id, community.street_id, list(members), list(residents)


def _propose_from_appeals(appeals_store, admin, title, appeal_title, cost_fen, beneficiaries):
    """Residents' clues → a proposal in appeals; returns its project_proposed event or None."""
    with appeals_store.transaction() as tx:
        ids = tx.session.scalars(
            select(Appeal.id)
            .where(
                Appeal.title == appeal_title,
                Appeal.status.in_(OPEN),
                Appeal.project_proposal_id.is_(None),
            )
            .order_by(Appeal.number)
        ).all()
        if not ids:
            return None
        data = {
            "title": title,
            "appeal_ids": list(ids),
            "estimated_cost_fen": cost_fen,
            "beneficiaries": beneficiaries,
        }
        appeals_projects.propose(tx, admin, data)
        return tx.published[-1]


def _project(store, appeals_store, admin, community_id, fund_id, clue):
    """A project from appeals' proposal when there are open clues, else staff-created.

    The demo plays funding's consumer here (inbox and all), so when the services
    start and appeals relays the event, funding finds it already handled.
    """
    title, appeal_title, cost, beneficiaries = clue
    envelope = _propose_from_appeals(appeals_store, admin, title, appeal_title, cost, beneficiaries)
    with store.transaction() as tx:
        if envelope is not None:
            tx.mark_handled(envelope)
            project = funding_projects.create_from_proposal(tx, envelope)
            return project.id, len(envelope["data"]["appeal_ids"])
        data = {
            "community_id": community_id,
            "fund_id": fund_id,
            "title": title,
            "estimated_cost_fen": cost,
            "beneficiaries": beneficiaries,
        }
        return funding_projects.create(tx, admin, data)["id"], 0


def _donate(store, treasurer, fund_id, channel, fen, name=None, shown=False, **extra):
    """Book one gift; no name means anonymous. Returns the amount."""
    data = {"channel": channel, "amount_fen": fen, "donor_kind": "anonymous"}
    if name is not None:
        data.update(donor_kind="person", donor_name=name, show_name=shown)
    with store.transaction() as tx:
        funds.donate(tx, treasurer, fund_id, {**data, **extra})
    return fen


def load_demo_funding(grid_store):
    """Load the demo fund once; returns its summary, or None if it was there."""
    store = open_funding_store()
    appeals_store = open_appeals_store()
    try:
        with store.reading() as session:
            if session.scalar(select(Fund.id).where(Fund.name == FUND)):
                return None
        principals, community_id, street_id, members, residents = _people(grid_store)
        admin = principals["street admin"]
        treasurer = principals["treasurer"]
        with store.transaction() as tx:
            fund = funds.create_fund(
                tx, admin, {"name": FUND, "community_id": community_id}, street_id
            )["id"]

        # 定向投: residents' problem clues become projects the member units give to
        gates, gate_appeals = _project(
            store,
            appeals_store,
            admin,
            community_id,
            fund,
            ("单元门禁更换", "单元门禁失灵", 5_200_000, 860),
        )
        parking, _ = _project(
            store,
            appeals_store,
            admin,
            community_id,
            fund,
            ("文明停车划线", "车辆乱停", 3_650_000, 1200),
        )
        with store.transaction() as tx:
            square = funding_projects.create(
                tx,
                admin,
                {
                    "community_id": community_id,
                    "fund_id": fund,
                    "title": "鹿城苑健身广场翻新",
                    "description": "塑胶地面破损，健身器材老化",
                    "estimated_cost_fen": 6_500_000,
                    "beneficiaries": 1800,
                },
            )["id"]

        raised = 0
        earmarks = {"gates": gates, "parking": parking, "square": square}
        for org, project, fen in DIRECTED:
            gift = {"donor_kind": "member_org", "project_id": earmarks[project]}
            raised += _donate(store, treasurer, fund, "directed", fen, org, True, **gift)
        for name, shown, fen in SHOPS:
            raised += _donate(store, treasurer, fund, "caring", fen, name, shown)
        for name, (shown, fen) in zip(members, LEADING, strict=False):
            raised += _donate(store, treasurer, fund, "leading", fen, name, shown)
        raised += _donate(store, treasurer, fund, "public_welfare", 60_000, "海威文明先锋队", True)
        raised += _donate(store, treasurer, fund, "public_welfare", 30_000)
        for name, (shown, fen) in zip(residents, MUTUAL_AID, strict=False):
            raised += _donate(store, treasurer, fund, "mutual_aid", fen, name, shown)
        raised += _donate(store, treasurer, fund, "mutual_aid", 6_600)
        with store.transaction() as tx:
            for description, quantity, unit, fen, donor in IN_KIND:
                funds.register_in_kind(
                    tx,
                    treasurer,
                    fund,
                    {
                        "description": f"{description}{quantity}{unit}",
                        "quantity": quantity,
                        "valuation_fen": fen,
                        "donor_kind": "member_org",
                        "donor_name": donor,
                        "show_name": True,
                    },
                )

        # 救急: the grid worker applies, the street admin and the treasurer approve
        with store.transaction() as tx:
            grant = grants.apply(
                tx,
                principals["grid worker"],
                {
                    "fund_id": fund,
                    "purpose": "emergency_relief",
                    "beneficiary_name": "李桂兰",
                    "amount_fen": 300_000,
                    "reason": "独居老人突发脑梗住院，家中无力垫付押金",
                },
            )["id"]
        for who, comment in ((admin, "情况属实，同意"), (treasurer, "同意，从可用资金支付")):
            with store.transaction() as tx:
                grants.decide(tx, who, grant, "approve", {"comment": comment})
        with store.transaction() as tx:
            grants.pay(tx, treasurer, grant)

        # the projects through their stages
        def step(use_case, who, project, *args):
            with store.transaction() as tx:
                return use_case(tx, who, project, *args)

        for project, budget in ((gates, 5_000_000), (parking, 3_650_000)):
            step(funding_projects.assess, admin, project, {"note": "入户调研，群众反映集中"})
            step(funding_projects.approve, admin, project, {"budget_fen": budget, "fund_id": fund})
            step(funding_projects.fund, treasurer, project)
        for project, claimant, kind, part, form, value in (
            (gates, "包钢集团第三分公司", "member_org", "门禁设备采购", "money", 4_800_000),
            (gates, "海威物业公司", "member_org", "安装调试", "labour", 0),
            (parking, "文明停车行动党小组", "community", "划线施工", "labour", 0),
            (parking, "鹿城社工服务中心", "social_org", "居民停车公约宣传", "labour", 0),
        ):
            claim = {
                "claimant_kind": kind,
                "claimant_name": claimant,
                "part": part,
                "form": form,
                "value_fen": value,
            }
            step(funding_projects.claim, admin, project, claim)
        step(funding_projects.start, admin, gates)
        step(funding_projects.start, admin, parking)
        step(
            funding_projects.complete,
            treasurer,
            gates,
            {"beneficiaries": 860, "actual_spend_fen": 4_920_000},
        )
        step(funding_projects.assess, admin, square, {"note": "场地测量完成，待定预算"})

        with store.transaction() as tx:
            report = funds.report(tx, fund)
        return {
            "fund_id": fund,
            "raised_fen": raised,
            "in_kind_fen": report["in_kind_total_fen"],
            "available_fen": report["available_fen"],
            "resolving": gate_appeals,
        }
    finally:
        appeals_store.dispose()
        store.dispose()


def yuan(fen):
    return f"¥{fen // 100:,}" + (f".{fen % 100:02d}" if fen % 100 else "")


def main():
    grid_store = open_store()
    try:
        summary = load_demo_funding(grid_store)
    finally:
        grid_store.dispose()
    if summary is None:
        print(f"demo: the {FUND} is already loaded")
        return 0
    print(
        f"demo: {FUND} {summary['fund_id']}: {yuan(summary['raised_fen'])} raised by channel, "
        f"in-kind {yuan(summary['in_kind_fen'])}, a 救急 grant paid, 3 定向投 projects "
        f"(completed, in progress, assessed); {yuan(summary['available_fen'])} available"
    )
    if summary["resolving"]:
        print(f"demo: the completed project resolves {summary['resolving']} appeals once running")
    print(
        f"demo: public page at /public/funds/{summary['fund_id']} "
        f"(report at /api/v1/funds/{summary['fund_id']}/report)"
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
