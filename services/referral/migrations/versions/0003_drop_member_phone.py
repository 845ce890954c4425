"""members: drop phone (crm never sent it, and one phone is one account per community)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: SQLite cannot drop a column in place on every version.
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("phone")


def downgrade():
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
