"""Grants 三救三扶三奖 and 定向投 projects through the funding service layer, on SQLite
and PostgreSQL: two different approvers before money moves, only treasurers pay,
a project's status machine, earmarked money first, what a completion gives back
and tells the suite, and a proposal from appeals that becomes one project however
often it is delivered.

Principals are written out as grid gives them (tests/support/funding_world.py).
"""

import json

import eventlet
import pytest
from funding_world import (
    ADMIN,
    COMMUNITY,
    OTHER_ADMIN,
    OTHER_COMMUNITY,
    OTHER_TREASURER,
    RESIDENT,
    SECOND_ADMIN,
    STREET_ADMIN,
    TREASURER,
    WORKER,
    applied_grant,
    approved_grant,
    approved_project,
    available,
    balances,
    delivered,
    everything,
    give,
    new_project,
    open_fund,
    published,
    slowed,
)
from nameko.testing.services import worker_factory
from sqlalchemy import func, select
from usecases import refused, run

from funding import funds, grants, ledger, projects
from funding.models import Project, ProjectAppeal
from funding.service import MIGRATIONS, FundingService
from yzw_kernel.db import Store
from yzw_kernel.envelope import make_envelope
from yzw_kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from yzw_kernel.outbox import inbox_table


@pytest.fixture
def store(database_url):
    store = Store(database_url, source="funding", migrations=MIGRATIONS)
    store.migrate()
    yield store
    store.dispose()


def at_once(store, calls):
    """Each (use_case, *args) in its own green thread and transaction, all at once."""

    def attempt(call):
        use_case, *args = call
        try:
            return run(store, use_case, *args)
        except (Conflict, Forbidden, NotFound, InvalidInput) as error:
            return error

    return list(eventlet.GreenPool(len(calls)).imap(attempt, calls))


def grant_status(store, grant_id):
    return run(store, grants.get, TREASURER, grant_id)["status"]


def project_status(store, project_id):
    return run(store, projects.get, RESIDENT, project_id)["status"]


# -- grants: two different approvers, then a treasurer pays ---------------------------------


def test_a_grant_is_paid_only_after_two_different_people_approve_it(store):
    fund = open_fund(store)
    give(store, fund, 100_000)
    grant = applied_grant(store, fund, 20_000, purpose="hardship_relief")
    assert grant["status"] == "applied" and grant["approvals"] == []
    assert grant["applied_by"] == "worker"

    error = refused(store, Conflict, grants.pay, TREASURER, grant["id"])
    assert "2 approvals" in error.message and "it has 0" in error.message
    run(store, grants.decide, ADMIN, grant["id"], "approve", {"comment": "情况属实"})
    error = refused(store, Conflict, grants.pay, TREASURER, grant["id"])
    assert "it has 1" in error.message
    # the same person approving twice is still one approval
    refused(store, Conflict, grants.decide, ADMIN, grant["id"], "approve", {})
    refused(store, Conflict, grants.decide, ADMIN, grant["id"], "reject", {})
    assert grant_status(store, grant["id"]) == "applied"
    assert "it has 1" in refused(store, Conflict, grants.pay, TREASURER, grant["id"]).message

    approved = run(store, grants.decide, TREASURER, grant["id"], "approve", {})
    assert approved["status"] == "approved"
    assert [(a["person_id"], a["decision"]) for a in approved["approvals"]] == [
        ("admin", "approve"),
        ("treasurer", "approve"),
    ]
    assert approved["approvals"][0]["comment"] == "情况属实"
    assert available(store, fund) == 100_000  # approval moves no money

    for not_a_treasurer in (ADMIN, SECOND_ADMIN, WORKER, RESIDENT, OTHER_TREASURER):
        refused(store, Forbidden, grants.pay, not_a_treasurer, grant["id"])
    paid = run(store, grants.pay, TREASURER, grant["id"])
    assert paid["status"] == "paid" and paid["transaction_id"] and paid["paid_at"]
    kept, _ = balances(store, fund)
    assert kept == {
        "income:caring": -100_000,
        "available": 80_000,
        "spent:grant:hardship_relief": 20_000,
    }
    assert published(store, "grant_paid") == [
        {
            "grant_id": grant["id"],
            "fund_id": fund,
            "community_id": COMMUNITY,
            "purpose": "hardship_relief",
            "amount_fen": 20_000,
            "transaction_id": paid["transaction_id"],
        }
    ]
    # paid is final: no second payment, no more decisions
    refused(store, Conflict, grants.pay, TREASURER, grant["id"])
    refused(store, Conflict, grants.decide, SECOND_ADMIN, grant["id"], "approve", {})
    assert available(store, fund) == 80_000
    assert len(published(store, "grant_paid")) == 1


def test_one_person_approving_twice_at_once_is_still_one_approval(store):
    fund = open_fund(store)
    give(store, fund, 10_000)
    grant = applied_grant(store, fund, 5_000)

    outcomes = at_once(store, [(grants.decide, ADMIN, grant["id"], "approve", {})] * 2)

    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "dict"]
    seen = run(store, grants.get, TREASURER, grant["id"])
    assert seen["status"] == "applied" and len(seen["approvals"]) == 1
    refused(store, Conflict, grants.pay, TREASURER, grant["id"])
    assert available(store, fund) == 10_000


def test_a_rejection_ends_a_grant(store):
    fund = open_fund(store)
    give(store, fund, 50_000)
    grant = applied_grant(store, fund, 8_000, purpose="student_award")
    run(store, grants.decide, ADMIN, grant["id"], "approve", {})
    rejected = run(store, grants.decide, TREASURER, grant["id"], "reject", {"comment": "不符合"})
    assert rejected["status"] == "rejected"
    for later in (
        (grants.decide, SECOND_ADMIN, grant["id"], "approve", {}),
        (grants.decide, SECOND_ADMIN, grant["id"], "reject", {}),
        (grants.pay, TREASURER, grant["id"]),
    ):
        refused(store, Conflict, *later)
    assert grant_status(store, grant["id"]) == "rejected"

    # a first decision that rejects ends it as surely
    other = applied_grant(store, fund, 8_000)
    run(store, grants.decide, SECOND_ADMIN, other["id"], "reject", {})
    refused(store, Conflict, grants.decide, ADMIN, other["id"], "approve", {})
    refused(store, Conflict, grants.pay, TREASURER, other["id"])

    assert available(store, fund) == 50_000
    assert [t["kind"] for t in run(store, funds.ledger_view, fund)] == ["donation"]
    assert published(store, "grant_paid") == []
    listed = run(store, grants.list_grants, TREASURER, {"fund_id": fund, "status": "rejected"})
    assert sorted(g["id"] for g in listed["items"]) == sorted([grant["id"], other["id"]])


def test_who_may_apply_approve_pay_and_see_a_grant(store):
    fund = open_fund(store)
    give(store, fund, 30_000)
    # residents and other communities' staff may not apply
    for outsider in (RESIDENT, OTHER_TREASURER, OTHER_ADMIN):
        refused(store, Forbidden, grants.apply, outsider, _grant_data(fund))
    # the community's grid staff, admins and treasurers may
    for staff in (WORKER, ADMIN, TREASURER):
        assert run(store, grants.apply, staff, _grant_data(fund))["status"] == "applied"
    refused(store, InvalidInput, grants.apply, WORKER, {**_grant_data(fund), "purpose": "x"})
    refused(store, InvalidInput, grants.apply, WORKER, {**_grant_data(fund), "amount_fen": 0})
    refused(store, NotFound, grants.apply, WORKER, _grant_data("no-such-fund"))

    grant = run(store, grants.apply, WORKER, {**_grant_data(fund), "beneficiary_id": "resident"})
    # grid staff apply but do not approve; nor do residents or other communities
    for outsider in (WORKER, RESIDENT, OTHER_ADMIN, OTHER_TREASURER):
        refused(store, Forbidden, grants.decide, outsider, grant["id"], "approve", {})
    refused(store, NotFound, grants.decide, ADMIN, "no-such-grant", "approve", {})
    # the beneficiary may see their own grant; another resident may not
    assert run(store, grants.get, RESIDENT, grant["id"])["id"] == grant["id"]
    refused(store, Forbidden, grants.get, OTHER_ADMIN, grant["id"])
    refused(store, Forbidden, grants.list_grants, RESIDENT, {"fund_id": fund})

    # two admins suffice to approve; the street's admin holds the treasurer's role
    run(store, grants.decide, ADMIN, grant["id"], "approve", {})
    run(store, grants.decide, SECOND_ADMIN, grant["id"], "approve", {})
    assert run(store, grants.pay, STREET_ADMIN, grant["id"])["status"] == "paid"
    assert available(store, fund) == 30_000 - 1_000


def _grant_data(fund):
    return {
        "fund_id": fund,
        "purpose": "role_model_award",
        "beneficiary_name": "最美家庭",
        "amount_fen": 1_000,
        "reason": "评选",
    }


def test_a_reversed_grant_payment_puts_the_money_back_and_the_grant_cannot_be_paid_again(store):
    fund = open_fund(store)
    give(store, fund, 10_000)
    paid = run(store, grants.pay, TREASURER, approved_grant(store, fund, 6_000)["id"])
    run(store, funds.reverse, TREASURER, fund, paid["transaction_id"], {"reason": "重复发放"})
    assert grant_status(store, paid["id"]) == "reversed"
    assert available(store, fund) == 10_000
    refused(store, Conflict, grants.pay, TREASURER, paid["id"])
    report = run(store, funds.report, fund)
    assert report["spending_total_fen"] == 0 and report["income_total_fen"] == 10_000


# -- projects: the status machine ---------------------------------------------------------


def test_the_project_status_machine_refuses_out_of_order_moves(store):
    fund = open_fund(store)
    give(store, fund, 50_000)
    project = new_project(store, fund)
    pid = project["id"]
    claim = {"claimant_kind": "member_org", "claimant_name": "供电公司", "form": "money"}
    done = {"beneficiaries": 300, "actual_spend_fen": 1}

    def cannot(*moves):
        """Every move is refused, and the project stays where it is."""
        status = project_status(store, pid)
        for use_case, who, *args in moves:
            refused(store, Conflict, use_case, who, pid, *args)
        assert project_status(store, pid) == status
        return status

    assert (
        cannot(
            (projects.approve, ADMIN, {"budget_fen": 10_000}),
            (projects.fund, TREASURER),
            (projects.claim, ADMIN, {**claim, "part": "路面"}),
            (projects.start, ADMIN),
            (projects.complete, TREASURER, done),
        )
        == "proposed"
    )
    run(store, projects.assess, ADMIN, pid, {"note": "调研评估：需要修缮"})
    assert (
        cannot(
            (projects.assess, ADMIN, {"note": "again"}),
            (projects.fund, TREASURER),
            (projects.claim, ADMIN, {**claim, "part": "路面"}),
            (projects.start, ADMIN),
            (projects.complete, TREASURER, done),
        )
        == "assessed"
    )
    run(store, projects.approve, ADMIN, pid, {"budget_fen": 10_000})
    assert (
        cannot(
            (projects.assess, ADMIN, {"note": "again"}),
            (projects.approve, ADMIN, {"budget_fen": 20_000}),
            (projects.claim, ADMIN, {**claim, "part": "路面"}),
            (projects.start, ADMIN),
            (projects.complete, TREASURER, done),
        )
        == "approved"
    )
    assert run(store, projects.get, RESIDENT, pid)["budget_fen"] == 10_000
    run(store, projects.fund, TREASURER, pid)
    assert (
        cannot(
            (projects.fund, TREASURER),
            (projects.approve, ADMIN, {"budget_fen": 20_000}),
            (projects.complete, TREASURER, done),
        )
        == "funded"
    )
    assert run(store, projects.claim, ADMIN, pid, {**claim, "part": "路面"})["status"] == "claimed"
    refused(store, Conflict, projects.claim, ADMIN, pid, {**claim, "part": "路面"})  # taken
    other_part = {**claim, "part": "照明", "claimant_kind": "social_org", "form": "labour"}
    assert run(store, projects.claim, ADMIN, pid, other_part)["status"] == "claimed"
    assert (
        cannot(
            (projects.fund, TREASURER),
            (projects.complete, TREASURER, done),
        )
        == "claimed"
    )
    assert run(store, projects.start, ADMIN, pid)["status"] == "in_progress"
    later_part = {**claim, "part": "绿化", "claimant_kind": "community", "form": "goods"}
    assert run(store, projects.claim, ADMIN, pid, later_part)["status"] == "in_progress"
    assert cannot((projects.start, ADMIN), (projects.fund, TREASURER)) == "in_progress"
    completed = run(store, projects.complete, TREASURER, pid, done)
    assert completed["status"] == "completed" and completed["completed_at"]
    assert [c["part"] for c in completed["claims"]] == ["路面", "照明", "绿化"]
    assert (
        cannot(
            (projects.assess, ADMIN, {"note": "again"}),
            (projects.approve, ADMIN, {"budget_fen": 1}),
            (projects.fund, TREASURER),
            (projects.claim, ADMIN, {**claim, "part": "新的"}),
            (projects.start, ADMIN),
            (projects.complete, TREASURER, done),
        )
        == "completed"
    )
    assert len(published(store, "project_completed")) == 1
    kept, summed = balances(store, fund)
    assert kept == summed and kept["available"] == 50_000 - 1


def test_admins_plan_projects_and_treasurers_move_their_money(store):
    fund = open_fund(store)
    give(store, fund, 20_000)
    data = {"community_id": COMMUNITY, "fund_id": fund, "title": "加装电梯"}
    for outsider in (TREASURER, WORKER, RESIDENT, OTHER_ADMIN):
        refused(store, Forbidden, projects.create, outsider, data)
    # another community's fund cannot pay for this community's project
    theirs = open_fund(store, community=OTHER_COMMUNITY, by=OTHER_ADMIN)
    refused(store, Conflict, projects.create, ADMIN, {**data, "fund_id": theirs})
    pid = run(store, projects.create, ADMIN, data)["id"]
    for outsider in (TREASURER, RESIDENT, OTHER_ADMIN):
        refused(store, Forbidden, projects.assess, outsider, pid, {"note": "n"})
    run(store, projects.assess, ADMIN, pid, {"note": "n"})
    refused(store, InvalidInput, projects.approve, ADMIN, pid, {"budget_fen": 0})
    refused(store, Forbidden, projects.approve, TREASURER, pid, {"budget_fen": 5_000})
    refused(store, Conflict, projects.approve, ADMIN, pid, {"budget_fen": 5_000, "fund_id": theirs})
    run(store, projects.approve, ADMIN, pid, {"budget_fen": 5_000})
    for not_a_treasurer in (ADMIN, WORKER, OTHER_TREASURER):
        refused(store, Forbidden, projects.fund, not_a_treasurer, pid)
    run(store, projects.fund, TREASURER, pid)
    refused(store, Forbidden, projects.start, TREASURER, pid)
    run(store, projects.start, ADMIN, pid)
    done = {"beneficiaries": 60, "actual_spend_fen": 5_000}
    refused(store, Forbidden, projects.complete, ADMIN, pid, done)
    refused(store, InvalidInput, projects.complete, TREASURER, pid, {"beneficiaries": 60})
    assert run(store, projects.complete, TREASURER, pid, done)["spent_fen"] == 5_000
    assert available(store, fund) == 15_000

    # a project without a fund cannot be funded until approved with one
    bare = run(store, projects.create, ADMIN, {"community_id": COMMUNITY, "title": "无资金"})
    run(store, projects.assess, ADMIN, bare["id"], {"note": "n"})
    refused(store, Conflict, projects.fund, TREASURER, bare["id"])
    refused(store, Conflict, projects.approve, ADMIN, bare["id"], {"budget_fen": 1_000})
    approved = run(
        store, projects.approve, ADMIN, bare["id"], {"budget_fen": 1_000, "fund_id": fund}
    )
    assert approved["fund_id"] == fund


# -- projects: earmarked money first, and what completion gives back ---------------------------


def test_funding_takes_the_projects_earmarked_gifts_first_then_general_money(store):
    fund = open_fund(store)
    short = approved_project(store, fund, 5_000)
    rich = approved_project(store, fund, 5_000)
    give(store, fund, 3_000, channel="directed", project_id=short["id"])
    give(store, fund, 7_000, channel="directed", project_id=rich["id"])
    give(store, fund, 10_000)
    assert run(store, projects.get, RESIDENT, short["id"])["earmarked_fen"] == 3_000

    run(store, projects.fund, TREASURER, short["id"])
    funded = run(store, projects.fund, TREASURER, rich["id"])

    assert funded["funded_fen"] == 5_000 and funded["earmarked_fen"] == 2_000
    assert [
        (e["project_id"], e["from_earmarked_fen"], e["from_general_fen"], e["budget_fen"])
        for e in published(store, "project_funded")
    ] == [(short["id"], 3_000, 2_000, 5_000), (rich["id"], 5_000, 0, 5_000)]
    kept, summed = balances(store, fund)
    assert kept == summed
    assert kept["available"] == 8_000  # only the short project drew on general money
    assert ledger.earmarked(short["id"]) not in kept  # used up
    assert kept[ledger.earmarked(rich["id"])] == 2_000
    assert kept[ledger.allocated(short["id"])] == kept[ledger.allocated(rich["id"])] == 5_000
    position = run(store, funds.get_fund, RESIDENT, fund)
    assert (position["available_fen"], position["earmarked_fen"], position["allocated_fen"]) == (
        8_000,
        2_000,
        10_000,
    )


def test_completion_returns_unspent_allocation_and_leftover_earmark_to_available(store):
    fund = open_fund(store)
    project = approved_project(store, fund, 5_000)
    pid = project["id"]
    give(store, fund, 7_000, channel="directed", project_id=pid)
    give(store, fund, 1_000)
    run(store, projects.fund, TREASURER, pid)
    run(store, projects.start, ADMIN, pid)
    give(store, fund, 500, channel="directed", project_id=pid)  # still welcome while it runs
    before = everything(store, fund)
    refused(
        store,
        Conflict,
        projects.complete,
        TREASURER,
        pid,
        {"beneficiaries": 80, "actual_spend_fen": 5_001},
    )
    assert everything(store, fund) == before

    done = run(
        store,
        projects.complete,
        TREASURER,
        pid,
        {"beneficiaries": 80, "actual_spend_fen": 4_000},
    )

    assert (done["status"], done["spent_fen"], done["earmarked_fen"]) == ("completed", 4_000, 0)
    kept, summed = balances(store, fund)
    assert kept == summed
    # 1,000 general + 1,000 unspent + 2,000 and 500 of leftover earmarks
    assert kept["available"] == 4_500
    assert ledger.allocated(pid) not in kept and ledger.earmarked(pid) not in kept
    assert kept[ledger.spent_on_project(pid)] == 4_000
    completion = run(store, funds.ledger_view, fund)[-1]
    assert completion["kind"] == "completion"
    assert sorted((e["account"], e["amount_fen"]) for e in completion["entries"]) == sorted(
        [
            (ledger.allocated(pid), -5_000),
            (ledger.earmarked(pid), -2_500),
            (ledger.spent_on_project(pid), 4_000),
            ("available", 3_500),
        ]
    )
    report = run(store, funds.report, fund)
    assert report["spending_by_purpose"]["projects"] == 4_000
    assert report["projects"][0]["spent_fen"] == 4_000
    assert report["projects"][0]["beneficiaries"] == 80
    # a finished project takes no more gifts, and its books stay shut
    refused(store, Conflict, funds.donate, TREASURER, fund, _directed(pid))
    transactions = run(store, funds.ledger_view, fund)
    allocation = next(t for t in transactions if t["kind"] == "allocation")
    refused(store, Conflict, funds.reverse, TREASURER, fund, allocation["id"], {"reason": "r"})
    refused(store, Conflict, funds.reverse, TREASURER, fund, completion["id"], {"reason": "r"})
    assert available(store, fund) == 4_500


def test_an_earmarked_gift_racing_a_completion_is_refused_or_given_back_not_stranded(
    store, monkeypatch
):
    fund = open_fund(store)
    pid = approved_project(store, fund, 5_000)["id"]
    give(store, fund, 5_000, channel="directed", project_id=pid)
    run(store, projects.fund, TREASURER, pid)
    run(store, projects.start, ADMIN, pid)
    slowed(monkeypatch, "completion", 0.3)  # balances read, not yet written: the gift comes now
    done = {"beneficiaries": 30, "actual_spend_fen": 4_000}

    def gift_a_moment_later():
        eventlet.sleep(0.1)
        return run(store, funds.donate, TREASURER, fund, _directed(pid, 700))

    completing = eventlet.spawn(run, store, projects.complete, TREASURER, pid, done)
    gift = eventlet.spawn(gift_a_moment_later)
    assert completing.wait()["status"] == "completed"
    try:
        given = gift.wait()["amount_fen"]  # in before the completion: given back with it
    except Conflict:
        given = 0  # after it: a finished project takes no more gifts

    kept, summed = balances(store, fund)
    assert kept == summed
    assert kept.get(ledger.earmarked(pid), 0) == 0, "a gift is stranded on a finished project"
    assert kept["available"] == 1_000 + given


def _directed(project_id, amount=100):
    return {"channel": "directed", "amount_fen": amount, "project_id": project_id}


def test_a_reversed_allocation_puts_earmark_and_general_money_back_and_reopens_funding(store):
    fund = open_fund(store)
    project = approved_project(store, fund, 6_000)
    pid = project["id"]
    give(store, fund, 2_000, channel="directed", project_id=pid)
    give(store, fund, 10_000)
    run(store, projects.fund, TREASURER, pid)
    allocation = run(store, funds.ledger_view, fund)[-1]
    run(store, funds.reverse, TREASURER, fund, allocation["id"], {"reason": "预算有误"})

    again = run(store, projects.get, RESIDENT, pid)
    assert (again["status"], again["funded_fen"], again["earmarked_fen"]) == ("approved", 0, 2_000)
    assert available(store, fund) == 10_000
    refused(store, Conflict, funds.reverse, TREASURER, fund, allocation["id"], {"reason": "r"})
    assert run(store, projects.fund, TREASURER, pid)["funded_fen"] == 6_000
    assert available(store, fund) == 6_000
    # once the project runs, its allocation stands
    run(store, projects.start, ADMIN, pid)
    second = run(store, funds.ledger_view, fund)[-1]
    assert second["kind"] == "allocation"
    refused(store, Conflict, funds.reverse, TREASURER, fund, second["id"], {"reason": "r"})


# -- projects: from appeals' proposals, and back to appeals when done ----------------------------


def proposal(proposal_id="proposal-1", appeal_ids=("appeal-3", "appeal-1", "appeal-2")):
    return {
        "proposal_id": proposal_id,
        "community_id": COMMUNITY,
        "title": "修缮3号楼排水管",
        "appeal_ids": list(appeal_ids),
        "estimated_cost_fen": 1_200_000,
        "beneficiaries": 96,
        "proposed_by": "worker",
    }


def as_sent(data):
    """appeals.project_proposed as it arrives off the bus, not yet read."""
    return json.loads(json.dumps(make_envelope("appeals", "project_proposed", data)))


def count(store, model, *where):
    with store.reading() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_proposal_delivered_twice_or_sent_twice_makes_one_project(store):
    fund = open_fund(store)  # the community's only fund: the project goes there
    service = worker_factory(FundingService, db=store)
    sent = as_sent(proposal())

    service.on_project_proposed(sent)
    service.on_project_proposed(sent)  # redelivered: the inbox skips it
    service.on_project_proposed(as_sent(proposal()))  # sent again: the proposal id is known

    assert count(store, Project) == 1
    with store.engine.connect() as connection:
        handled = connection.scalars(select(inbox_table.c.event_id)).all()
    assert sent["id"] in handled and len(handled) == 2  # two events, one effect
    made = run(store, projects.list_projects, RESIDENT, {"community_id": COMMUNITY})["items"]
    assert len(made) == 1
    project = made[0]
    assert project["proposal_id"] == "proposal-1" and project["fund_id"] == fund
    assert project["appeal_ids"] == ["appeal-1", "appeal-2", "appeal-3"]
    assert (project["status"], project["estimated_cost_fen"], project["beneficiaries"]) == (
        "proposed",
        1_200_000,
        96,
    )
    assert count(store, ProjectAppeal) == 3

    # with two funds in the community the staff choose one when approving
    open_fund(store)
    second = delivered("appeals", "project_proposed", proposal("proposal-2", ["appeal-9"]))
    run(store, projects.create_from_proposal, second)
    assert run(store, projects.create_from_proposal, second) is None
    chosen = run(store, projects.list_projects, RESIDENT, {"community_id": COMMUNITY})["items"]
    assert {p["proposal_id"]: p["fund_id"] for p in chosen} == {
        "proposal-1": fund,
        "proposal-2": None,
    }


def test_one_proposal_delivered_twice_at_once_makes_one_project(store):
    open_fund(store)
    copies = [delivered("appeals", "project_proposed", proposal()) for _ in range(2)]

    outcomes = at_once(store, [(projects.create_from_proposal, copy) for copy in copies])

    # the loser either saw the winner's project or collided with it (the event is retried)
    assert sum(isinstance(o, Project) for o in outcomes) == 1, outcomes
    assert count(store, Project) == 1 and count(store, ProjectAppeal) == 3


def test_completing_a_proposed_project_tells_appeals_which_appeals_it_resolves(store):
    fund = open_fund(store)
    run(store, projects.create_from_proposal, delivered("appeals", "project_proposed", proposal()))
    listed = run(store, projects.list_projects, RESIDENT, {"community_id": COMMUNITY})
    pid = listed["items"][0]["id"]
    run(store, projects.assess, ADMIN, pid, {"note": "调研评估"})
    run(store, projects.approve, ADMIN, pid, {"budget_fen": 1_000_000})  # the proposal's fund
    give(store, fund, 1_000_000, channel="leading")
    run(store, projects.fund, TREASURER, pid)
    run(store, projects.start, ADMIN, pid)
    assert published(store, "project_completed") == []

    run(
        store,
        projects.complete,
        TREASURER,
        pid,
        {"beneficiaries": 120, "actual_spend_fen": 950_000},
    )

    assert published(store, "project_completed") == [
        {
            "project_id": pid,
            "proposal_id": "proposal-1",
            "community_id": COMMUNITY,
            "appeal_ids": ["appeal-1", "appeal-2", "appeal-3"],
            "beneficiaries": 120,
            "actual_spend_fen": 950_000,
        }
    ]
    assert available(store, fund) == 50_000


def test_the_community_summary_adds_up_its_funds_for_its_staff(store):
    fund = open_fund(store)
    other = open_fund(store)
    give(store, fund, 10_000)
    give(store, other, 5_000, channel="mutual_aid")
    run(
        store,
        funds.register_in_kind,
        TREASURER,
        other,
        {"description": "护眼卡", "valuation_fen": 3_600_000},
    )
    run(store, grants.pay, TREASURER, approved_grant(store, fund, 2_000)["id"])
    pid = approved_project(store, other, 4_000)["id"]
    run(store, projects.fund, TREASURER, pid)
    run(store, projects.start, ADMIN, pid)
    run(store, projects.complete, TREASURER, pid, {"beneficiaries": 42, "actual_spend_fen": 3_000})
    new_project(store, fund)
    open_fund(store, community=OTHER_COMMUNITY, by=OTHER_ADMIN)  # not counted here

    summary = run(store, funds.community_summary, WORKER, COMMUNITY)

    assert summary == {
        "community_id": COMMUNITY,
        "funds": 2,
        "income_total_fen": 15_000,
        "in_kind_total_fen": 3_600_000,
        "spending_total_fen": 5_000,
        "available_fen": 10_000,
        "projects_by_status": {"completed": 1, "proposed": 1},
        "beneficiaries": 42,
    }
    for outsider in (RESIDENT, OTHER_ADMIN, OTHER_TREASURER):
        refused(store, Forbidden, funds.community_summary, outsider, COMMUNITY)
