"""Funds, money in (donations, in-kind gifts), corrections, and what the public sees."""

import csv
import io

from sqlalchemy import func, select

from yzw_kernel.contracts import funding as contract
from yzw_kernel.contracts.paging import PageQuery
from yzw_kernel.db import get_one
from yzw_kernel.errors import Conflict, InvalidInput, NotFound
from yzw_kernel.paging import keyset_page
from yzw_kernel.principal import Principal
from yzw_kernel.types import iso, utcnow
from yzw_kernel.validation import load

from . import access, ledger
from .models import (
    Donation,
    Fund,
    Grant,
    InKindGift,
    LedgerEntry,
    LedgerTransaction,
    Project,
)

ANONYMOUS = "匿名"
OPEN_STATUSES = ("proposed", "assessed", "approved", "funded", "claimed", "in_progress")


# -- funds -----------------------------------------------------------------------


def street_of(principal, data, grid):
    """The street a new fund serves: given, or the community's, asked of grid."""
    data = load(contract.FundIn, data)
    if data.get("street_id"):
        return data["street_id"]
    community = grid.get_community(Principal(principal).id, data["community_id"])
    return community["street_id"]


def fund_view(session, fund):
    return {
        "id": fund.id,
        "name": fund.name,
        "community_id": fund.community_id,
        "street_id": fund.street_id,
        **ledger.fund_position(session, fund.id),
        "created_at": iso(fund.created_at),
    }


def create_fund(tx, principal, data, street_id):
    principal = Principal(principal)
    data = load(contract.FundIn, data)
    fund = Fund(
        name=data["name"],
        community_id=data.get("community_id"),
        street_id=street_id,
        created_by=principal.id,
    )
    principal.require(access.administers(principal, fund), "create a fund here")
    duplicate = tx.session.scalar(
        select(Fund.id).where(
            Fund.street_id == street_id,
            Fund.community_id == fund.community_id
            if fund.community_id
            else Fund.community_id.is_(None),
            Fund.name == fund.name,
        )
    )
    if duplicate:
        raise Conflict("a fund with this name already exists here", {"name": ["already used"]})
    tx.session.add(fund)
    tx.flush()
    return fund_view(tx.session, fund)


def get_fund(tx, principal, fund_id):
    principal = Principal(principal)
    fund = access.get_fund(tx.session, fund_id)
    principal.require(access.reads_fund(principal, fund), "see this fund")
    return fund_view(tx.session, fund)


def list_funds(tx, principal, community_id):
    principal = Principal(principal)
    if not community_id:
        raise InvalidInput("say which community", {"community_id": ["required"]})
    principal.require(principal.belongs_to_community(community_id), "see this community's funds")
    funds = tx.session.scalars(
        select(Fund).where(Fund.community_id == community_id).order_by(Fund.created_at)
    )
    return [fund_view(tx.session, fund) for fund in funds]


# -- money in ----------------------------------------------------------------------


def _donor(data):
    """(kind, id, name, show_name) with the kind filled in when not given."""
    kind = data.get("donor_kind")
    if kind is None:
        kind = "person" if data.get("donor_id") or data.get("donor_name") else "anonymous"
    if kind == "anonymous":
        return kind, None, None, False
    return kind, data.get("donor_id"), data.get("donor_name"), data["show_name"]


def _earmark(session, fund, project_id):
    """The project a gift is earmarked to, tied to this fund if it was not yet.

    The project's row is locked: a completion cannot sweep its earmark while
    a gift to it is being booked, and a gift cannot land after it completed.
    """
    project = get_one(session, Project, project_id, "project", lock=True)
    if project.fund_id is None:
        if fund.community_id not in (None, project.community_id):
            raise Conflict(
                "the project belongs to another community",
                {"project_id": ["not a project of this fund's community"]},
            )
        project.fund_id = fund.id
    elif project.fund_id != fund.id:
        raise Conflict(
            "the project is financed by another fund",
            {"project_id": ["give to the project's own fund"]},
        )
    if project.status not in OPEN_STATUSES:
        raise Conflict(
            f"the project is {project.status}; it takes no more gifts",
            {"project_id": [f"project is {project.status}"]},
        )
    return project


def donation_view(session, donation):
    return {
        "id": donation.id,
        "fund_id": donation.fund_id,
        "channel": donation.channel,
        "amount_fen": donation.amount,
        "donor_kind": donation.donor_kind,
        "donor_id": donation.donor_id,
        "donor_name": donation.donor_name,
        "show_name": donation.show_name,
        "project_id": donation.project_id,
        "transaction_id": donation.transaction_id,
        "received_at": iso(donation.received_at),
        "reversed": ledger.reversal_of(session, donation.transaction_id) is not None,
    }


def donate(tx, principal, fund_id, data):
    """Record a gift of money: the treasurer books what arrived, by channel."""
    principal = Principal(principal)
    fund = access.get_fund(tx.session, fund_id)
    principal.require(access.keeps_money(principal, fund), "record donations to this fund")
    data = load(contract.DonationIn, data)
    kind, donor_id, donor_name, show_name = _donor(data)
    project = _earmark(tx.session, fund, data["project_id"]) if data["project_id"] else None
    into = ledger.earmarked(project.id) if project else ledger.AVAILABLE
    amount = data["amount_fen"]
    memo = f"{data['channel']} donation from {display_name(kind, donor_name, show_name)}"
    if project:
        memo += f" for project {project.title}"
    transaction = ledger.post(
        tx,
        fund.id,
        "donation",
        memo,
        [(ledger.income(data["channel"]), -amount), (into, amount)],
        principal.id,
    )
    donation = Donation(
        fund_id=fund.id,
        channel=data["channel"],
        amount=amount,
        donor_kind=kind,
        donor_id=donor_id,
        donor_name=donor_name,
        show_name=show_name,
        project_id=project.id if project else None,
        note=data["note"],
        transaction_id=transaction.id,
        recorded_by=principal.id,
    )
    tx.session.add(donation)
    tx.flush()
    tx.publish(
        "donation_received",
        {
            "donation_id": donation.id,
            "fund_id": fund.id,
            "community_id": fund.community_id,
            "street_id": fund.street_id,
            "channel": donation.channel,
            "amount_fen": amount,
            "donor_kind": kind,
            "project_id": donation.project_id,
        },
    )
    return donation_view(tx.session, donation)


def list_donations(tx, principal, fund_id, query=None):
    """Oldest first, a page at a time."""
    query = load(PageQuery, query or {})
    principal = Principal(principal)
    fund = access.get_fund(tx.session, fund_id)
    principal.require(
        access.keeps_money(principal, fund) or access.administers(principal, fund),
        "see this fund's donors",
    )
    stmt = select(Donation).where(Donation.fund_id == fund.id)
    order = [Donation.received_at, Donation.id]
    donations, next_cursor = keyset_page(tx.session, stmt, order, query)
    return {"items": [donation_view(tx.session, d) for d in donations], "next_cursor": next_cursor}


def register_in_kind(tx, principal, fund_id, data):
    """A gift of goods, valued, kept in its own register outside the money ledger."""
    principal = Principal(principal)
    fund = access.get_fund(tx.session, fund_id)
    principal.require(access.keeps_money(principal, fund), "record gifts to this fund")
    data = load(contract.InKindIn, data)
    kind, donor_id, donor_name, show_name = _donor(data)
    if data["project_id"]:
        _earmark(tx.session, fund, data["project_id"])
    gift = InKindGift(
        fund_id=fund.id,
        description=data["description"],
        quantity=data["quantity"],
        valuation=data["valuation_fen"],
        donor_kind=kind,
        donor_id=donor_id,
        donor_name=donor_name,
        show_name=show_name,
        project_id=data["project_id"],
        recorded_by=principal.id,
    )
    tx.session.add(gift)
    tx.flush()
    return in_kind_view(gift, public=False)


def list_in_kind(tx, principal, fund_id, query=None):
    """Newest first, a page at a time, donors named as recorded: for the fund's staff."""
    query = load(PageQuery, query or {})
    principal = Principal(principal)
    fund = access.get_fund(tx.session, fund_id)
    principal.require(access.fund_staff(principal, fund), "see this fund's in-kind gifts")
    stmt = select(InKindGift).where(InKindGift.fund_id == fund.id)
    order = [InKindGift.received_at, InKindGift.id]
    gifts, next_cursor = keyset_page(tx.session, stmt, order, query, descending=True)
    return {"items": [in_kind_view(g, public=False) for g in gifts], "next_cursor": next_cursor}


def in_kind_view(gift, public=True):
    return {
        "id": gift.id,
        "fund_id": gift.fund_id,
        "description": gift.description,
        "quantity": gift.quantity,
        "valuation_fen": gift.valuation,
        "donor_kind": gift.donor_kind,
        "donor_name": display_name(gift.donor_kind, gift.donor_name, gift.show_name)
        if public
        else gift.donor_name,
        "project_id": gift.project_id,
        "received_at": iso(gift.received_at),
    }


# -- corrections ---------------------------------------------------------------------


def reverse(tx, principal, fund_id, transaction_id, data):
    """A correction: the mirror transaction, refused if the money has been used since."""
    principal = Principal(principal)
    fund = access.get_fund(tx.session, fund_id)
    principal.require(access.keeps_money(principal, fund), "correct this fund's ledger")
    data = load(contract.ReversalIn, data)
    original = tx.session.get(LedgerTransaction, transaction_id)
    if original is None or original.fund_id != fund.id:
        raise NotFound(f"no transaction {transaction_id} in this fund")
    if original.kind == "grant_payment":
        grant = tx.session.scalar(select(Grant).where(Grant.transaction_id == original.id))
        grant.status = "reversed"
    elif original.kind == "allocation":
        project = _allocated_project(tx.session, original)
        if project.status != "funded":
            raise Conflict(
                f"the project is {project.status}; its allocation can no longer be undone"
            )
        project.status = "approved"
        project.funded = 0
    elif original.kind != "donation":
        raise Conflict(f"a {original.kind} transaction cannot be reversed")
    reversal = ledger.reverse(tx, original, f"reversal: {data['reason']}", principal.id)
    return transaction_view(tx.session, reversal)


def _allocated_project(session, transaction):
    for entry in ledger.entries(session, transaction.id):
        if entry.account.startswith("project:"):
            return session.get(Project, entry.account.removeprefix("project:"))
    raise Conflict("this allocation names no project")


# -- what anybody may read -------------------------------------------------------------


def transaction_view(session, transaction, entries=None):
    entries = entries if entries is not None else ledger.entries(session, transaction.id)
    return {
        "id": transaction.id,
        "fund_id": transaction.fund_id,
        "kind": transaction.kind,
        "memo": transaction.memo,
        "reverses": transaction.reverses_id,
        "posted_at": iso(transaction.posted_at),
        "entries": [{"account": e.account, "amount_fen": e.amount} for e in entries],
    }


TRANSACTION_ORDER = (LedgerTransaction.posted_at, LedgerTransaction.id)


def _with_entries(session, transactions):
    by_transaction = {}
    ids = [t.id for t in transactions]
    for entry in session.scalars(
        select(LedgerEntry).where(LedgerEntry.transaction_id.in_(ids)).order_by(LedgerEntry.id)
    ):
        by_transaction.setdefault(entry.transaction_id, []).append(entry)
    return [(t, by_transaction.get(t.id, [])) for t in transactions]


def _transactions(session, fund_id):
    transactions = session.scalars(
        select(LedgerTransaction)
        .where(LedgerTransaction.fund_id == fund_id)
        .order_by(*TRANSACTION_ORDER)
    ).all()
    return _with_entries(session, transactions)


def ledger_view(tx, fund_id):
    """The whole ledger at once: for audits and tests; the API pages it (ledger_page)."""
    access.get_fund(tx.session, fund_id)
    return [transaction_view(tx.session, t, e) for t, e in _transactions(tx.session, fund_id)]


def ledger_page(tx, fund_id, query=None):
    """Oldest first, a page of transactions at a time, each with its entries."""
    query = load(PageQuery, query or {})
    access.get_fund(tx.session, fund_id)
    stmt = select(LedgerTransaction).where(LedgerTransaction.fund_id == fund_id)
    transactions, next_cursor = keyset_page(tx.session, stmt, list(TRANSACTION_ORDER), query)
    return {
        "items": [
            transaction_view(tx.session, t, e) for t, e in _with_entries(tx.session, transactions)
        ],
        "next_cursor": next_cursor,
    }


CSV_COLUMNS = (
    "posted_at",
    "transaction_id",
    "kind",
    "memo",
    "reverses",
    "account",
    "amount_fen",
    "amount_yuan",
)


def ledger_csv(tx, fund_id):
    """Every entry of the fund, one row each: what the public may audit."""
    access.get_fund(tx.session, fund_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    # row by row from the database, not the whole ledger as objects first
    rows = tx.session.execute(
        select(
            LedgerTransaction.posted_at,
            LedgerTransaction.id,
            LedgerTransaction.kind,
            LedgerTransaction.memo,
            LedgerTransaction.reverses_id,
            LedgerEntry.account,
            LedgerEntry.amount,
        )
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerTransaction.fund_id == fund_id)
        .order_by(*TRANSACTION_ORDER, LedgerEntry.id)
        .execution_options(yield_per=500)
    )
    for posted_at, transaction_id, kind, memo, reverses_id, account, amount in rows:
        writer.writerow(
            (
                iso(posted_at),
                transaction_id,
                kind,
                memo,
                reverses_id or "",
                account,
                amount,
                yuan(amount),
            )
        )
    return out.getvalue()


def yuan(fen):
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def display_name(kind, name, show_name):
    """The donor's name if they agreed to be shown; otherwise masked."""
    if kind == "anonymous" or not name:
        return ANONYMOUS
    if show_name:
        return name
    return name[0] + "*" * min(max(len(name) - 1, 1), 3)


def report(tx, fund_id):
    """The public transparency report: income, in-kind, spending, projects, donors."""
    session = tx.session
    fund = access.get_fund(session, fund_id)
    accounts = ledger.balances(session, fund.id)
    income = {c: -accounts.get(ledger.income(c), 0) for c in contract.CHANNELS}
    spending = {p: accounts.get(ledger.spent_on_grant(p), 0) for p in contract.GRANT_PURPOSES}
    spending["projects"] = sum(v for a, v in accounts.items() if a.startswith("spent:project:"))
    gifts = list(
        session.scalars(
            select(InKindGift).where(InKindGift.fund_id == fund.id).order_by(InKindGift.received_at)
        )
    )
    projects = session.scalars(
        select(Project).where(Project.fund_id == fund.id).order_by(Project.created_at)
    )
    reversed_ids = select(LedgerTransaction.reverses_id).where(
        LedgerTransaction.fund_id == fund.id, LedgerTransaction.reverses_id.is_not(None)
    )
    donations = session.scalars(
        select(Donation)
        .where(Donation.fund_id == fund.id, Donation.transaction_id.not_in(reversed_ids))
        .order_by(Donation.received_at, Donation.id)
    )
    return {
        "fund": {
            "id": fund.id,
            "name": fund.name,
            "community_id": fund.community_id,
            "street_id": fund.street_id,
        },
        "income_by_channel": income,
        "income_total_fen": sum(income.values()),
        "in_kind_total_fen": sum(g.valuation for g in gifts),
        "in_kind": [in_kind_view(g) for g in gifts],
        "spending_by_purpose": spending,
        "spending_total_fen": sum(spending.values()),
        **ledger.fund_position(session, fund.id),
        "projects": [
            {
                "id": p.id,
                "title": p.title,
                "status": p.status,
                "budget_fen": p.budget,
                "funded_fen": p.funded,
                "spent_fen": p.spent,
                "beneficiaries": p.beneficiaries,
            }
            for p in projects
        ],
        "donors": [
            {
                "name": display_name(d.donor_kind, d.donor_name, d.show_name),
                "channel": d.channel,
                "amount_fen": d.amount,
                "received_at": iso(d.received_at),
            }
            for d in donations
        ],
        "generated_at": iso(utcnow()),
    }


def community_summary(tx, principal, community_id):
    """The fund part of the community dashboard."""
    principal = Principal(principal)
    principal.require(access.community_staff(principal, community_id), "see this community's funds")
    session = tx.session
    fund_ids = list(session.scalars(select(Fund.id).where(Fund.community_id == community_id)))
    income = spending = available = 0
    for fund_id in fund_ids:
        accounts = ledger.balances(session, fund_id)
        income -= sum(v for a, v in accounts.items() if a.startswith("income:"))
        spending += sum(v for a, v in accounts.items() if a.startswith("spent:"))
        available += accounts.get(ledger.AVAILABLE, 0)
    in_kind = session.scalar(
        select(func.coalesce(func.sum(InKindGift.valuation), 0)).where(
            InKindGift.fund_id.in_(fund_ids)
        )
    )
    by_status = dict(
        session.execute(
            select(Project.status, func.count())
            .where(Project.community_id == community_id)
            .group_by(Project.status)
        ).all()
    )
    beneficiaries = session.scalar(
        select(func.coalesce(func.sum(Project.beneficiaries), 0)).where(
            Project.community_id == community_id, Project.status == "completed"
        )
    )
    return {
        "community_id": community_id,
        "funds": len(fund_ids),
        "income_total_fen": income,
        "in_kind_total_fen": int(in_kind),
        "spending_total_fen": spending,
        "available_fen": available,
        "projects_by_status": {status: int(n) for status, n in by_status.items()},
        "beneficiaries": int(beneficiaries),
    }
