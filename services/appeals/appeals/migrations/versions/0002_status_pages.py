"""appeal lists by status, and community statistics, read from indexes

Found by the benchmark (bench/, `make bench`), with a million appeals:

- a community's appeals in one status were found by intersecting the
  community's index with the status index of the whole district, then sorted,
  a cost that grew with the district. (community_id, status, created_at, id)
  and (grid_id, status, created_at, id) give the page straight from the index;
  the second replaces (grid_id, status), whose lookups it serves as well;
- a community's statistics read every one of its appeals from the table, three
  times, one page each. On PostgreSQL the community's index now includes the
  columns they count, so they scan the index alone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:00:00.000000
"""

from alembic import op

revision = "0002"
down_revision = "0001"
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


def upgrade():
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index("ix_appeals_community_created")
        batch_op.create_index(
            "ix_appeals_community_created",
            ["community_id", "created_at", "id"],
            unique=False,
            postgresql_include=STATS_COLUMNS,
        )
        batch_op.create_index(
            "ix_appeals_community_status_created",
            ["community_id", "status", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_appeals_grid_status_created",
            ["grid_id", "status", "created_at", "id"],
            unique=False,
        )
        batch_op.drop_index("ix_appeals_grid_status")


def downgrade():
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index("ix_appeals_grid_status", ["grid_id", "status"], unique=False)
        batch_op.drop_index("ix_appeals_grid_status_created")
        batch_op.drop_index("ix_appeals_community_status_created")
        batch_op.drop_index("ix_appeals_community_created")
        batch_op.create_index(
            "ix_appeals_community_created", ["community_id", "created_at", "id"], unique=False
        )
