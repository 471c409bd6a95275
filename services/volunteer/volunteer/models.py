"""SQLAlchemy tables of the volunteer service."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from yzw_kernel.types import (
    TYPE_ANNOTATION_MAP,
    IdColumnType,
    id_column,
    utcnow,
)


class Base(DeclarativeBase):
    type_annotation_map = TYPE_ANNOTATION_MAP


class Team(Base):
    """志愿服务队."""

    __tablename__ = "teams"
    id: Mapped[str] = id_column()
    community_id: Mapped[str] = mapped_column(IdColumnType(), index=True)
    name: Mapped[str] = mapped_column(String(100))
    focus: Mapped[str] = mapped_column(String(30))
    leader_id: Mapped[str] = mapped_column(IdColumnType())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("community_id", "name"),)


class TeamMember(Base):
    __tablename__ = "team_members"
    id: Mapped[str] = id_column()
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    person_id: Mapped[str] = mapped_column(IdColumnType(), index=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("team_id", "person_id"),)


class Activity(Base):
    __tablename__ = "activities"
    id: Mapped[str] = id_column()
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    community_id: Mapped[str] = mapped_column(IdColumnType(), index=True)
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    capacity: Mapped[int] = mapped_column(Integer)
    stars_per_hour: Mapped[int] = mapped_column(Integer)
    signed_up: Mapped[int] = mapped_column(Integer, default=0)
    # open → completed; or, paying above the approval limit, open → awaiting_approval →
    # completed (a second person approved) or rejected
    status: Mapped[str] = mapped_column(String(20), default="open")
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_by: Mapped[str | None] = mapped_column(IdColumnType(), nullable=True)
    # what the completion pays in all, counted when it was completed
    stars_due: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(IdColumnType(), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decision_comment: Mapped[str | None] = mapped_column(String(500), nullable=True)


class SignUp(Base):
    __tablename__ = "signups"
    id: Mapped[str] = id_column()
    activity_id: Mapped[str] = mapped_column(ForeignKey("activities.id"), index=True)
    person_id: Mapped[str] = mapped_column(IdColumnType(), index=True)
    status: Mapped[str] = mapped_column(String(20), default="signed_up")  # or cancelled
    checked_in_at: Mapped[datetime | None] = mapped_column(nullable=True)
    checked_out_at: Mapped[datetime | None] = mapped_column(nullable=True)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (UniqueConstraint("activity_id", "person_id"),)


class Account(Base):
    """A red-star account (闪闪红星) of a person or a member organisation.

    `balance` mirrors the sum of the account's entries; it is changed only
    together with an entry, by a guarded UPDATE that never lets it go below zero.
    """

    __tablename__ = "accounts"
    id: Mapped[str] = id_column()
    owner_kind: Mapped[str] = mapped_column(String(20))  # person | member_org
    owner_id: Mapped[str] = mapped_column(IdColumnType())
    community_id: Mapped[str | None] = mapped_column(IdColumnType(), nullable=True, index=True)
    grid_id: Mapped[str | None] = mapped_column(IdColumnType(), nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id"),)


class Entry(Base):
    """An append-only ledger line: earn (+), redeem (−) or reversal (±).

    `source` names what caused it (an event id, an activity, a voucher...);
    unique per account, so one source event awards at most once.
    """

    __tablename__ = "entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        UniqueConstraint("account_id", "source"),
        Index("ix_entries_created", "created_at"),
    )


class Reward(Base):
    """回馈服务: 理疗, 头疗, 艾灸, venue use... paid for in stars."""

    __tablename__ = "rewards"
    id: Mapped[str] = id_column()
    community_id: Mapped[str] = mapped_column(IdColumnType(), index=True)
    name: Mapped[str] = mapped_column(String(200))
    provider_id: Mapped[str] = mapped_column(IdColumnType())
    price_stars: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Voucher(Base):
    __tablename__ = "vouchers"
    id: Mapped[str] = id_column()
    code: Mapped[str] = mapped_column(String(20), unique=True)
    reward_id: Mapped[str] = mapped_column(ForeignKey("rewards.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    price_stars: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="issued")  # used | cancelled
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)


class VisitAward(Base):
    """Visits that earned stars per person per day, for the daily cap."""

    __tablename__ = "visit_awards"
    id: Mapped[str] = id_column()
    person_id: Mapped[str] = mapped_column(IdColumnType())
    day: Mapped[str] = mapped_column(String(10))
    count: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (UniqueConstraint("person_id", "day"),)


metadata = Base.metadata
