"""staff accounts: an account's status, and when it was removed

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 00:46:37.000000
"""

import sqlalchemy as sa
from alembic import op

import services.infra.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    # Every existing account is active: until now nobody could be removed.
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="active", nullable=False)
        )
        batch_op.add_column(
            sa.Column("removed_at", services.infra.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
        batch_op.drop_column("status")
