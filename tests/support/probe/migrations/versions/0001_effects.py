"""effects

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

import yzw_kernel.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "effects",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("created_at", yzw_kernel.types.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "inbox",
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("handled_at", yzw_kernel.types.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", yzw_kernel.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", yzw_kernel.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(32), nullable=True),
        sa.Column("claimed_until", yzw_kernel.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_pending", "outbox", ["published_at", "seq"])


def downgrade():
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_table("effects")
