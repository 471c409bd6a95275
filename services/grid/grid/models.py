"""SQLAlchemy tables of the grid service."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from yzw_kernel.types import (
    TYPE_ANNOTATION_MAP,
    IdColumnType,
    id_column,
    utcnow,
)


class Base(DeclarativeBase):
    type_annotation_map = TYPE_ANNOTATION_MAP


def ref(target, nullable=False, **kwargs):
    return mapped_column(
        IdColumnType(), ForeignKey(f"{target}.id"), nullable=nullable, index=True, **kwargs
    )


class Street(Base):
    __tablename__ = "streets"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(100))
    # What each level is called here: a rural town says 村 for community.
    level_names: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Community(Base):
    __tablename__ = "communities"
    id: Mapped[str] = id_column()
    street_id: Mapped[str] = ref("streets")
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("street_id", "name"),)


class Department(Base):
    """A department 职能部门 the street has registered: where appeals go once they are
    escalated past the street (街道吹哨、部门报到), and a target of dispatch."""

    __tablename__ = "departments"
    id: Mapped[str] = id_column()
    street_id: Mapped[str] = ref("streets")
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("street_id", "name"),)


class Estate(Base):
    __tablename__ = "estates"
    id: Mapped[str] = id_column()
    community_id: Mapped[str] = ref("communities")
    name: Mapped[str] = mapped_column(String(100))
    __table_args__ = (UniqueConstraint("community_id", "name"),)


class Grid(Base):
    __tablename__ = "grids"
    id: Mapped[str] = id_column()
    community_id: Mapped[str] = ref("communities")
    name: Mapped[str] = mapped_column(String(100))
    __table_args__ = (UniqueConstraint("community_id", "name"),)


class Building(Base):
    __tablename__ = "buildings"
    id: Mapped[str] = id_column()
    estate_id: Mapped[str] = ref("estates")
    grid_id: Mapped[str] = ref("grids")
    name: Mapped[str] = mapped_column(String(100))
    __table_args__ = (UniqueConstraint("estate_id", "name"),)


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[str] = id_column()
    building_id: Mapped[str] = ref("buildings")
    name: Mapped[str] = mapped_column(String(100))
    __table_args__ = (UniqueConstraint("building_id", "name"),)


class Household(Base):
    __tablename__ = "households"
    id: Mapped[str] = id_column()
    unit_id: Mapped[str] = ref("units")
    number: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20))  # home | shop (商铺)
    __table_args__ = (UniqueConstraint("unit_id", "number"),)


class Person(Base):
    __tablename__ = "people"
    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    household_id: Mapped[str | None] = ref("households", nullable=True)
    kind: Mapped[str] = mapped_column(String(30), default="resident")
    # 在册 (registered in the community) or 报到 (reporting from an employer)
    party_membership: Mapped[str | None] = mapped_column(String(20), nullable=True)
    employer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GridRole(Base):
    __tablename__ = "grid_roles"
    id: Mapped[str] = id_column()
    grid_id: Mapped[str] = ref("grids")
    person_id: Mapped[str] = ref("people")
    role: Mapped[str] = mapped_column(String(30))
    # The building a building_head heads, the unit a unit_head heads; "" otherwise.
    scope_id: Mapped[str] = mapped_column(String(36), default="")
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (
        UniqueConstraint("grid_id", "person_id", "role", "scope_id"),
        # 一格一人: one grid worker per grid, and one grid leader per grid
        # (who may lead many grids: 一人多格). The database has the last word.
        Index(
            "uq_grid_single_worker",
            "grid_id",
            unique=True,
            sqlite_where=text("role = 'grid_worker'"),
            postgresql_where=text("role = 'grid_worker'"),
        ),
        Index(
            "uq_grid_single_leader",
            "grid_id",
            unique=True,
            sqlite_where=text("role = 'grid_leader'"),
            postgresql_where=text("role = 'grid_leader'"),
        ),
    )


class AdminRole(Base):
    """community_admin and treasurer of a community; street_admin of a street."""

    __tablename__ = "admin_roles"
    id: Mapped[str] = id_column()
    person_id: Mapped[str] = ref("people")
    role: Mapped[str] = mapped_column(String(30))
    street_id: Mapped[str | None] = ref("streets", nullable=True)
    community_id: Mapped[str | None] = ref("communities", nullable=True)
    __table_args__ = (UniqueConstraint("person_id", "role", "street_id", "community_id"),)


class PartyOrg(Base):
    """A node of the party organisation tree (社区党委 → 网格党支部 → 楼栋党小组 → 党员中心户)."""

    __tablename__ = "party_orgs"
    id: Mapped[str] = id_column()
    community_id: Mapped[str] = ref("communities")
    parent_id: Mapped[str | None] = ref("party_orgs", nullable=True)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(100))
    focus: Mapped[str | None] = mapped_column(String(50), nullable=True)
    grid_id: Mapped[str | None] = ref("grids", nullable=True)
    building_id: Mapped[str | None] = ref("buildings", nullable=True)
    household_id: Mapped[str | None] = ref("households", nullable=True)


class PartyOrgMember(Base):
    __tablename__ = "party_org_members"
    id: Mapped[str] = id_column()
    org_id: Mapped[str] = ref("party_orgs")
    person_id: Mapped[str] = ref("people")
    role: Mapped[str] = mapped_column(String(30), default="member")
    __table_args__ = (UniqueConstraint("org_id", "person_id"),)


class MemberOrganisation(Base):
    """共建单位 / 大党委成员单位."""

    __tablename__ = "member_orgs"
    id: Mapped[str] = id_column()
    community_id: Mapped[str] = ref("communities")
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    __table_args__ = (UniqueConstraint("community_id", "name"),)


class DutySlot(Base):
    """双月轮值: slot 1 is January–February, ..., slot 6 November–December."""

    __tablename__ = "duty_slots"
    id: Mapped[str] = id_column()
    community_id: Mapped[str] = ref("communities")
    year: Mapped[int] = mapped_column(Integer)
    slot: Mapped[int] = mapped_column(Integer)
    member_org_id: Mapped[str] = ref("member_orgs")
    __table_args__ = (
        UniqueConstraint("community_id", "year", "slot"),
        UniqueConstraint("community_id", "year", "member_org_id"),
    )


class Visit(Base):
    """入户走访 / 党员联系群众打卡."""

    __tablename__ = "visits"
    id: Mapped[str] = id_column()
    visitor_id: Mapped[str] = ref("people")
    household_id: Mapped[str] = ref("households")
    visited_at: Mapped[datetime] = mapped_column()
    notes: Mapped[str] = mapped_column(Text, default="")


class LoginFailure(Base):
    """A failed login, counted once against its phone number and once against
    the client address it came from (`kind` says which `key` is). Kept in the
    database so that a restart or another replica forgets none of them."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(index=True)
    __table_args__ = (Index("ix_login_failures_kind_key_failed_at", "kind", "key", "failed_at"),)


class KnownClient(Base):
    """A device or a client address that has logged in successfully as a person
    (`kind` says which). `key_hash` is the SHA-256 of the device's token or of the
    address: the token itself is never stored. A known client is not slowed by
    its phone's failed logins (see logins.py)."""

    __tablename__ = "known_clients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = ref("people")
    kind: Mapped[str] = mapped_column(String(10))
    key_hash: Mapped[str] = mapped_column(String(64))
    last_login_at: Mapped[datetime] = mapped_column(index=True)
    __table_args__ = (Index("ix_known_clients_kind_key_hash", "kind", "key_hash"),)


metadata = Base.metadata
