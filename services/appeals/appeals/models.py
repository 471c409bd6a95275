"""SQLAlchemy tables of the appeals service."""

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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

# what appeal statistics read besides community_id and created_at
STATS_COLUMNS = [
    "status",
    "category",
    "source",
    "grid_id",
    "rating",
    "deadline_at",
    "claimed_at",
    "resolved_at",
    "closed_at",
]


class Base(DeclarativeBase):
    type_annotation_map = TYPE_ANNOTATION_MAP


class Appeal(Base):
    __tablename__ = "appeals"
    id: Mapped[str] = id_column()
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # Where it lives, as grid answered when it arrived.
    street_id: Mapped[str] = mapped_column(IdColumnType())
    community_id: Mapped[str] = mapped_column(IdColumnType())
    grid_id: Mapped[str] = mapped_column(IdColumnType())
    household_id: Mapped[str | None] = mapped_column(IdColumnType(), nullable=True)
    # what an anonymous appeal shows of its place (null on appeals older than 0005)
    building_id: Mapped[str | None] = mapped_column(IdColumnType(), nullable=True)
    submitter_id: Mapped[str | None] = mapped_column(IdColumnType(), nullable=True)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    photo_urls: Mapped[list] = mapped_column(JSON, default=list)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))
    assignee_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    assignee_id: Mapped[str | None] = mapped_column(IdColumnType(), nullable=True)
    handler_id: Mapped[str | None] = mapped_column(IdColumnType(), nullable=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    deadline_at: Mapped[datetime | None] = mapped_column(nullable=True)
    extension_requested_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    urged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    project_proposal_id: Mapped[str | None] = mapped_column(IdColumnType(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Bumped by every change: two handlers claiming at once cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1)
    __table_args__ = (
        # On PostgreSQL the community's index carries what its statistics count
        # (stats.py), so they are read from the index alone (an index-only scan),
        # not from the rows scattered over the table.
        Index(
            "ix_appeals_community_created",
            "community_id",
            "created_at",
            "id",
            postgresql_include=STATS_COLUMNS,
        ),
        # a community's or a grid's appeals in one status, newest first: a page reads
        # only its own rows, however many appeals the community has
        Index("ix_appeals_community_status_created", "community_id", "status", "created_at", "id"),
        Index("ix_appeals_grid_status_created", "grid_id", "status", "created_at", "id"),
        Index("ix_appeals_assignee", "assignee_id", "status"),
        Index("ix_appeals_submitter", "submitter_id", "created_at"),
        Index("ix_appeals_deadline", "status", "deadline_at"),
    )
    __mapper_args__ = {"version_id_col": version}


class TimelineEntry(Base):
    """Every transition of an appeal: who, when, from, to, note."""

    __tablename__ = "timeline"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    appeal_id: Mapped[str] = mapped_column(ForeignKey("appeals.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[str | None] = mapped_column(IdColumnType(), nullable=True)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")


class Counter(Base):
    """Per-community, per-year sequence behind human-readable appeal numbers."""

    __tablename__ = "counters"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Deliberation(Base):
    """有事来商量: a vote among the residents of a grid, estate or building."""

    __tablename__ = "deliberations"
    id: Mapped[str] = id_column()
    appeal_id: Mapped[str] = mapped_column(ForeignKey("appeals.id"), index=True)
    community_id: Mapped[str] = mapped_column(IdColumnType())
    question: Mapped[str] = mapped_column(String(500))
    options: Mapped[list] = mapped_column(JSON)
    scope: Mapped[str] = mapped_column(String(20))
    scope_id: Mapped[str] = mapped_column(IdColumnType())
    eligible: Mapped[int] = mapped_column(Integer)
    quorum_share: Mapped[float] = mapped_column()
    opened_by: Mapped[str] = mapped_column(IdColumnType())
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="open")
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    winner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    counts: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (
        Index("ix_deliberations_closing", "status", "closes_at"),
        # a resident's votes: those of their grid, estate and building, newest first
        Index("ix_deliberations_scope", "scope_id", "opened_at", "id"),
    )


class Vote(Base):
    __tablename__ = "votes"
    id: Mapped[str] = id_column()
    deliberation_id: Mapped[str] = mapped_column(ForeignKey("deliberations.id"), index=True)
    person_id: Mapped[str] = mapped_column(IdColumnType())
    option: Mapped[str] = mapped_column(String(200))
    cast_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("deliberation_id", "person_id"),)


class ProjectProposal(Base):
    """Appeals grouped into a 定向投 project proposal for funding."""

    __tablename__ = "project_proposals"
    id: Mapped[str] = id_column()
    community_id: Mapped[str] = mapped_column(IdColumnType())
    title: Mapped[str] = mapped_column(String(200))
    appeal_ids: Mapped[list] = mapped_column(JSON)
    estimated_cost_fen: Mapped[int] = mapped_column(BigInteger)  # money is integer fen
    beneficiaries: Mapped[int] = mapped_column(Integer)
    proposed_by: Mapped[str] = mapped_column(IdColumnType())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)


metadata = Base.metadata
