"""the building of an appeal's household

An anonymous appeal shows its place at building level to everyone but its
handler, so appeals keeps the building grid answered when the appeal arrived.
Appeals raised before this revision have none (null).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("building_id", sa.String(length=36), nullable=True))


def downgrade():
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_column("building_id")
