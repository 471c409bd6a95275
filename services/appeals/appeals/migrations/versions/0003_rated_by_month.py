"""satisfaction by month read from the community's index too

Statistics now count each month's ratings (satisfaction_by_month), by when an
appeal was closed. On PostgreSQL the community's index includes `closed_at`
with the other columns the statistics count, so they still scan the index alone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 19:00:00.000000
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


STATS_COLUMNS = [
    "status",
    "category",
    "source",
    "grid_id",
    "rating",
    "deadline_at",
    "claimed_at",
    "resolved_at",
]


def _community_index(batch_op, include):
    batch_op.drop_index("ix_appeals_community_created")
    batch_op.create_index(
        "ix_appeals_community_created",
        ["community_id", "created_at", "id"],
        unique=False,
        postgresql_include=include,
    )


def upgrade():
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        _community_index(batch_op, [*STATS_COLUMNS, "closed_at"])


def downgrade():
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        _community_index(batch_op, STATS_COLUMNS)
