"""a resident's votes, found by the scope they are held in

GET /deliberations lists the votes of the caller's grid, estate and building,
newest opened first. (scope_id, opened_at, id) finds them by the three scope
ids instead of reading every vote of the district.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00.000000
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deliberations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliberations_scope", ["scope_id", "opened_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("deliberations", schema=None) as batch_op:
        batch_op.drop_index("ix_deliberations_scope")
