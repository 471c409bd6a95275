"""an activity's completion, and its approval by a second person

A completion that pays more than the approval limit waits (awaiting_approval)
for a community admin other than the one who completed it, who approves
(completed, paid) or rejects it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import yzw_kernel.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("completed_by", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("stars_due", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=36), nullable=True))
        batch_op.add_column(
            sa.Column("decided_at", yzw_kernel.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("decision_comment", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_column("decision_comment")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("stars_due")
        batch_op.drop_column("completed_by")
