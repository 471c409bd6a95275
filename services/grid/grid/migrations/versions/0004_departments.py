"""the departments a street registers, targets of dispatch

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import yzw_kernel.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "departments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("street_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", yzw_kernel.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["street_id"], ["streets.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("street_id", "name"),
    )
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_departments_street_id"), ["street_id"], unique=False)


def downgrade():
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_departments_street_id"))
    op.drop_table("departments")
