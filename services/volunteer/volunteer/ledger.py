"""The red-star ledger (闪闪红星): append-only entries, balances that never go below zero.

Every change to a balance is one guarded UPDATE plus one entry in the same
transaction, so the balance always equals the sum of the account's entries;
the guard `balance + amount >= 0` is evaluated by the database on the locked
row, so concurrent redemptions cannot overdraw. An entry's `source` is unique
per account: the same source event never pays twice.
"""

from sqlalchemy import func, select, update

from yzw_kernel.errors import Conflict, NotFound

from .models import Account, Entry


def find_account(session, owner_kind, owner_id):
    return session.scalar(
        select(Account).where(Account.owner_kind == owner_kind, Account.owner_id == owner_id)
    )


def open_account(tx, owner_kind, owner_id, community_id=None, grid_id=None, name=""):
    """The owner's account, opened if it is not there yet; details fill in when learnt."""
    account = find_account(tx.session, owner_kind, owner_id)
    if account is None:
        account = Account(
            owner_kind=owner_kind,
            owner_id=owner_id,
            community_id=community_id,
            grid_id=grid_id,
            name=name,
            balance=0,
        )
        tx.session.add(account)
        tx.flush()
    else:
        account.community_id = account.community_id or community_id
        account.grid_id = account.grid_id or grid_id
        account.name = account.name or name
    return account


def require_account(session, owner_kind, owner_id):
    account = find_account(session, owner_kind, owner_id)
    if account is None:
        raise NotFound(f"no red-star account for {owner_kind} {owner_id}")
    return account


def already_posted(session, account_id, source):
    return (
        session.scalar(
            select(Entry.id).where(Entry.account_id == account_id, Entry.source == source)
        )
        is not None
    )


def post(tx, account, kind, amount, source, reason=""):
    """Post one entry; returns it, or None if `source` already paid into this account.

    Raises Conflict, writing nothing, if the balance would go below zero.
    """
    if amount == 0:
        raise ValueError("a ledger entry moves at least one star")
    if already_posted(tx.session, account.id, source):
        return None
    changed = tx.session.execute(
        update(Account)
        .where(Account.id == account.id, Account.balance + amount >= 0)
        .values(balance=Account.balance + amount)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict("not enough red stars", {"balance": ["too low for this"]})
    entry = Entry(account_id=account.id, kind=kind, amount=amount, source=source, reason=reason)
    tx.session.add(entry)
    tx.flush()
    tx.session.refresh(account, ["balance"])
    return entry


def balance_from_entries(session, account_id):
    return session.scalar(
        select(func.coalesce(func.sum(Entry.amount), 0)).where(Entry.account_id == account_id)
    )
