"""devices and addresses a person has logged in from, so that their phone's failed
logins do not slow them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import yzw_kernel.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "known_clients",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("last_login_at", yzw_kernel.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_known_clients_kind_key_hash", "known_clients", ["kind", "key_hash"], unique=False
    )
    op.create_index(
        op.f("ix_known_clients_last_login_at"), "known_clients", ["last_login_at"], unique=False
    )
    op.create_index(
        op.f("ix_known_clients_person_id"), "known_clients", ["person_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_known_clients_person_id"), table_name="known_clients")
    op.drop_index(op.f("ix_known_clients_last_login_at"), table_name="known_clients")
    op.drop_index("ix_known_clients_kind_key_hash", table_name="known_clients")
    op.drop_table("known_clients")
