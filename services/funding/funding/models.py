"""SQLAlchemy tables of the funding service.

The ledger is `ledger_transactions` and `ledger_entries`, both append-only
(the database refuses UPDATE and DELETE). `balances` is the ledger summed per
account, kept in step in the same transaction so a guarded UPDATE can refuse
to take an available balance below zero.
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from yzw_kernel.types import TYPE_ANNOTATION_MAP, IdColumnType, id_column, utcnow


class Base(DeclarativeBase):
    type_annotation_map = TYPE_ANNOTATION_MAP


class Fund(Base):
    """共建实践金: a community's fund, or a street's (then street_id alone)."""

    __tablename__ = "funds"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(100))
    community_id: Mapped[str | None] = mapped_column(IdColumnType(), index=True)
    street_id: Mapped[str] = mapped_column(IdColumnType(), index=True)
    created_by: Mapped[str] = mapped_column(IdColumnType())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        Index(
            "uq_funds_scope_name",
            "street_id",
            func.coalesce(community_id, ""),
            "name",
            unique=True,
        ),
    )


class LedgerTransaction(Base):
    """One balanced movement of money; a correction is a new, reversing one."""

    __tablename__ = "ledger_transactions"
    id: Mapped[str] = id_column()
    fund_id: Mapped[str] = mapped_column(ForeignKey("funds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    memo: Mapped[str] = mapped_column(String(500))
    # a transaction is reversed at most once
    reverses_id: Mapped[str | None] = mapped_column(
        ForeignKey("ledger_transactions.id"), unique=True
    )
    posted_by: Mapped[str | None] = mapped_column(IdColumnType())
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerEntry(Base):
    """One leg of a transaction: positive debits, negative credits."""

    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    fund_id: Mapped[str] = mapped_column(ForeignKey("funds.id"), index=True)
    account: Mapped[str] = mapped_column(String(80))
    amount: Mapped[int] = mapped_column(BigInteger)


class Balance(Base):
    """The sum of a fund account's entries, kept in step with them."""

    __tablename__ = "balances"
    fund_id: Mapped[str] = mapped_column(ForeignKey("funds.id"), primary_key=True)
    account: Mapped[str] = mapped_column(String(80), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)


class Donation(Base):
    """A gift of money, by channel; its money is the ledger transaction it names."""

    __tablename__ = "donations"
    id: Mapped[str] = id_column()
    fund_id: Mapped[str] = mapped_column(ForeignKey("funds.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
    donor_kind: Mapped[str] = mapped_column(String(20))
    donor_id: Mapped[str | None] = mapped_column(IdColumnType())
    donor_name: Mapped[str | None] = mapped_column(String(100))
    show_name: Mapped[bool] = mapped_column(default=False)
    project_id: Mapped[str | None] = mapped_column(IdColumnType(), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    transaction_id: Mapped[str] = mapped_column(ForeignKey("ledger_transactions.id"), unique=True)
    recorded_by: Mapped[str] = mapped_column(IdColumnType())
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class InKindGift(Base):
    """A gift of goods, with its valuation; it never enters the money ledger."""

    __tablename__ = "in_kind_gifts"
    id: Mapped[str] = id_column()
    fund_id: Mapped[str] = mapped_column(ForeignKey("funds.id"), index=True)
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(Integer)
    valuation: Mapped[int] = mapped_column(BigInteger)
    donor_kind: Mapped[str] = mapped_column(String(20))
    donor_id: Mapped[str | None] = mapped_column(IdColumnType())
    donor_name: Mapped[str | None] = mapped_column(String(100))
    show_name: Mapped[bool] = mapped_column(default=False)
    project_id: Mapped[str | None] = mapped_column(IdColumnType())
    recorded_by: Mapped[str] = mapped_column(IdColumnType())
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotentRequest(Base):
    """The first answer to a request sent with an Idempotency-Key."""

    __tablename__ = "idempotent_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor_id: Mapped[str] = mapped_column(IdColumnType())
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("actor_id", "key"),)


class Grant(Base):
    """三救三扶三奖: applied, approved by two different people, then paid."""

    __tablename__ = "grants"
    id: Mapped[str] = id_column()
    fund_id: Mapped[str] = mapped_column(ForeignKey("funds.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    beneficiary_name: Mapped[str] = mapped_column(String(100))
    beneficiary_id: Mapped[str | None] = mapped_column(IdColumnType())
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="applied")
    applied_by: Mapped[str] = mapped_column(IdColumnType())
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    transaction_id: Mapped[str | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    paid_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class GrantDecision(Base):
    __tablename__ = "grant_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    person_id: Mapped[str] = mapped_column(IdColumnType())
    name: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(10))  # approve | reject
    comment: Mapped[str] = mapped_column(String(500), default="")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    # one decision per person: the second approval must be somebody else's
    __table_args__ = (UniqueConstraint("grant_id", "person_id"),)


class Project(Base):
    """定向投: a project from residents' problem clues, through to completion."""

    __tablename__ = "projects"
    id: Mapped[str] = id_column()
    community_id: Mapped[str] = mapped_column(IdColumnType(), index=True)
    fund_id: Mapped[str | None] = mapped_column(ForeignKey("funds.id"), index=True)
    proposal_id: Mapped[str | None] = mapped_column(IdColumnType(), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    estimated_cost: Mapped[int] = mapped_column(BigInteger, default=0)
    assessment: Mapped[str | None] = mapped_column(Text)
    budget: Mapped[int | None] = mapped_column(BigInteger)
    funded: Mapped[int] = mapped_column(BigInteger, default=0)
    spent: Mapped[int | None] = mapped_column(BigInteger)
    beneficiaries: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(IdColumnType())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class ProjectAppeal(Base):
    __tablename__ = "project_appeals"
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    appeal_id: Mapped[str] = mapped_column(IdColumnType(), primary_key=True)


class ProjectClaim(Base):
    """认领: a part of a project taken on by an organisation or the community."""

    __tablename__ = "project_claims"
    id: Mapped[str] = id_column()
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    claimant_kind: Mapped[str] = mapped_column(String(20))
    claimant_name: Mapped[str] = mapped_column(String(100))
    claimant_id: Mapped[str | None] = mapped_column(IdColumnType())
    part: Mapped[str] = mapped_column(String(200))
    form: Mapped[str] = mapped_column(String(10))
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    recorded_by: Mapped[str] = mapped_column(IdColumnType())
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("project_id", "part"),)


metadata = Base.metadata
