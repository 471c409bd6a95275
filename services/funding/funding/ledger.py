"""The 共建实践金 double-entry ledger.

Every movement of money is one transaction of entries that sum to zero.
Entries are never changed: the database refuses UPDATE and DELETE, and a
correction is a new transaction with every entry negated.

Accounts of a fund, by name (debits positive, credits negative):

- `income:<channel>`          where donations come from (runs negative)
- `available`                 money free to spend
- `earmarked:<project_id>`    given for one project, not yet allocated to it
- `project:<project_id>`      allocated to a funded project, not yet spent
- `spent:grant:<purpose>`     paid out in grants, by purpose
- `spent:project:<project_id>` a completed project's actual spend

`available`, `earmarked:*` and `project:*` hold money: their balances may
never go below zero. Each leg on them is a guarded UPDATE of `balances`
(`balance + amount >= 0`), evaluated by the database on the locked row, so
concurrent spending cannot overdraw; when a guard refuses, the whole unit of
work rolls back and nothing is written.
"""

from sqlalchemy import func, insert, select, update

from yzw_kernel.db import insert_unless_present
from yzw_kernel.errors import Conflict

from .models import Balance, LedgerEntry, LedgerTransaction

AVAILABLE = "available"
HOLDING_PREFIXES = ("earmarked:", "project:")


def income(channel):
    return f"income:{channel}"


def earmarked(project_id):
    return f"earmarked:{project_id}"


def allocated(project_id):
    return f"project:{project_id}"


def spent_on_grant(purpose):
    return f"spent:grant:{purpose}"


def spent_on_project(project_id):
    return f"spent:project:{project_id}"


def holds_money(account):
    """Accounts whose balance is money in hand: never below zero."""
    return account == AVAILABLE or account.startswith(HOLDING_PREFIXES)


def post(tx, fund_id, kind, memo, legs, actor_id=None, reverses_id=None):
    """Write one balanced transaction; `legs` is [(account, amount_fen), ...].

    Raises Conflict if an account that holds money would go below zero.
    """
    legs = [(account, int(amount)) for account, amount in legs if amount != 0]
    if not legs:
        raise ValueError("a transaction moves some money")
    if sum(amount for _, amount in legs) != 0:
        raise ValueError(f"unbalanced transaction: {legs}")
    session = tx.session
    # Rows locked in one order by everyone: two transfers never deadlock.
    accounts = sorted({account for account, _ in legs})
    insert_unless_present(
        session, Balance, [{"fund_id": fund_id, "account": a, "balance": 0} for a in accounts]
    )
    totals = {account: 0 for account in accounts}
    for account, amount in legs:
        totals[account] += amount
    for account in accounts:
        amount = totals[account]
        if amount == 0:
            continue
        stmt = update(Balance).where(Balance.fund_id == fund_id, Balance.account == account)
        if holds_money(account) and amount < 0:
            stmt = stmt.where(Balance.balance + amount >= 0)
        changed = session.execute(
            stmt.values(balance=Balance.balance + amount).execution_options(
                synchronize_session=False
            )
        ).rowcount
        if changed != 1:
            have = balance(session, fund_id, account)
            raise Conflict(
                f"not enough money in {account}: {have} fen there, {-amount} fen asked",
                {"amount_fen": [f"more than the {have} fen available"]},
            )
    transaction = LedgerTransaction(
        fund_id=fund_id, kind=kind, memo=memo[:500], posted_by=actor_id, reverses_id=reverses_id
    )
    session.add(transaction)
    tx.flush()
    session.execute(
        insert(LedgerEntry),
        [
            {"transaction_id": transaction.id, "fund_id": fund_id, "account": a, "amount": amount}
            for a, amount in legs
        ],
    )
    return transaction


def reverse(tx, transaction, memo, actor_id=None):
    """Post the mirror image of `transaction`; a transaction is reversed once."""
    if transaction.reverses_id is not None:
        raise Conflict("a reversal cannot itself be reversed; post a new transaction")
    if reversal_of(tx.session, transaction.id) is not None:
        raise Conflict("this transaction was already reversed")
    legs = [(e.account, -e.amount) for e in entries(tx.session, transaction.id)]
    return post(
        tx, transaction.fund_id, "reversal", memo, legs, actor_id, reverses_id=transaction.id
    )


def reversal_of(session, transaction_id):
    return session.scalar(
        select(LedgerTransaction).where(LedgerTransaction.reverses_id == transaction_id)
    )


def entries(session, transaction_id):
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.transaction_id == transaction_id)
            .order_by(LedgerEntry.id)
        )
    )


def balance(session, fund_id, account):
    found = session.scalar(
        select(Balance.balance).where(Balance.fund_id == fund_id, Balance.account == account)
    )
    return int(found or 0)


def balances(session, fund_id):
    """Every account of the fund and its balance."""
    rows = session.execute(
        select(Balance.account, Balance.balance).where(Balance.fund_id == fund_id)
    )
    return {account: int(amount) for account, amount in rows}


def balances_from_entries(session, fund_id):
    """The same, summed from the entries themselves: the ledger's own truth."""
    rows = session.execute(
        select(LedgerEntry.account, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.fund_id == fund_id)
        .group_by(LedgerEntry.account)
    )
    # PostgreSQL sums BIGINT to NUMERIC, which pg8000 hands back as Decimal
    return {account: int(total) for account, total in rows}


def fund_position(session, fund_id):
    """Money in hand: free, earmarked for projects, allocated to projects."""
    accounts = balances(session, fund_id)
    return {
        "available_fen": accounts.get(AVAILABLE, 0),
        "earmarked_fen": sum(v for a, v in accounts.items() if a.startswith("earmarked:")),
        "allocated_fen": sum(v for a, v in accounts.items() if a.startswith("project:")),
    }
