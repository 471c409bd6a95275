"""Grants for 三救三扶三奖: applied, approved by two different people, then paid."""

from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from yzw_kernel.contracts import funding as contract
from yzw_kernel.db import get_one
from yzw_kernel.errors import Conflict
from yzw_kernel.paging import keyset_page
from yzw_kernel.principal import Principal
from yzw_kernel.types import iso, utcnow
from yzw_kernel.validation import load

from . import access, ledger
from .models import Grant, GrantDecision

APPROVALS_NEEDED = 2


def _decisions(session, grant_id):
    return list(
        session.scalars(
            select(GrantDecision)
            .where(GrantDecision.grant_id == grant_id)
            .order_by(GrantDecision.decided_at, GrantDecision.id)
        )
    )


def grant_view(session, grant):
    return {
        "id": grant.id,
        "fund_id": grant.fund_id,
        "purpose": grant.purpose,
        "beneficiary_name": grant.beneficiary_name,
        "beneficiary_id": grant.beneficiary_id,
        "amount_fen": grant.amount,
        "reason": grant.reason,
        "status": grant.status,
        "applied_by": grant.applied_by,
        "approvals": [
            {
                "person_id": d.person_id,
                "name": d.name,
                "decision": d.decision,
                "comment": d.comment,
                "decided_at": iso(d.decided_at),
            }
            for d in _decisions(session, grant.id)
        ],
        "transaction_id": grant.transaction_id,
        "applied_at": iso(grant.applied_at),
        "paid_at": iso(grant.paid_at),
    }


def apply(tx, principal, data):
    """Grid staff, admins or treasurers apply on a beneficiary's behalf."""
    principal = Principal(principal)
    data = load(contract.GrantIn, data)
    fund = access.get_fund(tx.session, data["fund_id"])
    principal.require(access.fund_staff(principal, fund), "apply for grants from this fund")
    grant = Grant(
        fund_id=fund.id,
        purpose=data["purpose"],
        beneficiary_name=data["beneficiary_name"],
        beneficiary_id=data["beneficiary_id"],
        amount=data["amount_fen"],
        reason=data["reason"],
        applied_by=principal.id,
    )
    tx.session.add(grant)
    tx.flush()
    return grant_view(tx.session, grant)


def _grant_and_fund(session, grant_id):
    grant = get_one(session, Grant, grant_id, "grant")
    return grant, access.get_fund(session, grant.fund_id)


def get(tx, principal, grant_id):
    principal = Principal(principal)
    grant, fund = _grant_and_fund(tx.session, grant_id)
    principal.require(
        access.fund_staff(principal, fund) or grant.beneficiary_id == principal.id,
        "see this grant",
    )
    return grant_view(tx.session, grant)


def list_grants(tx, principal, query):
    principal = Principal(principal)
    query = load(contract.GrantQuery, query)
    fund = access.get_fund(tx.session, query["fund_id"])
    principal.require(access.fund_staff(principal, fund), "see this fund's grants")
    stmt = select(Grant).where(Grant.fund_id == fund.id)
    if query["status"]:
        stmt = stmt.where(Grant.status == query["status"])
    grants, next_cursor = keyset_page(tx.session, stmt, [Grant.applied_at, Grant.id], query)
    return {"items": [grant_view(tx.session, g) for g in grants], "next_cursor": next_cursor}


def decide(tx, principal, grant_id, decision, data):
    """One approval or rejection per person; two approvals by different people approve."""
    principal = Principal(principal)
    data = load(contract.GrantDecisionIn, data)
    grant, fund = _grant_and_fund(tx.session, grant_id)
    principal.require(access.approves_grants(principal, fund), "approve grants from this fund")
    if grant.status != "applied":
        raise Conflict(f"the grant is already {grant.status}")
    decisions = _decisions(tx.session, grant.id)
    if any(d.person_id == principal.id for d in decisions):
        raise Conflict(
            "you have already decided on this grant; the second approval is somebody else's"
        )
    tx.session.add(
        GrantDecision(
            grant_id=grant.id,
            person_id=principal.id,
            name=principal.name,
            decision=decision,
            comment=data["comment"],
        )
    )
    if decision == "reject":
        grant.status = "rejected"
    elif sum(d.decision == "approve" for d in decisions) + 1 >= APPROVALS_NEEDED:
        grant.status = "approved"
    else:
        # touch the row: two first approvals racing meet on its version
        flag_modified(grant, "status")
    tx.flush()
    return grant_view(tx.session, grant)


def pay(tx, principal, grant_id):
    """The treasurer pays an approved grant from the fund's available money."""
    principal = Principal(principal)
    grant, fund = _grant_and_fund(tx.session, grant_id)
    principal.require(access.keeps_money(principal, fund), "pay grants from this fund")
    if grant.status == "applied":
        approvals = sum(d.decision == "approve" for d in _decisions(tx.session, grant.id))
        raise Conflict(
            f"the grant needs {APPROVALS_NEEDED} approvals by different people; it has {approvals}"
        )
    if grant.status != "approved":
        raise Conflict(f"the grant is {grant.status}")
    transaction = ledger.post(
        tx,
        fund.id,
        "grant_payment",
        f"grant for {grant.purpose}",
        [(ledger.AVAILABLE, -grant.amount), (ledger.spent_on_grant(grant.purpose), grant.amount)],
        principal.id,
    )
    grant.status = "paid"
    grant.transaction_id = transaction.id
    grant.paid_at = utcnow()
    tx.flush()
    tx.publish(
        "grant_paid",
        {
            "grant_id": grant.id,
            "fund_id": fund.id,
            "community_id": fund.community_id,
            "purpose": grant.purpose,
            "amount_fen": grant.amount,
            "transaction_id": transaction.id,
        },
    )
    return grant_view(tx.session, grant)
