"""operator console: a community's status (suspended by the platform operator) and the audit trail

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 20:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import services.infra.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    # Every existing community is active: nobody could suspend one until now.
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="active", nullable=False)
        )
        batch_op.add_column(sa.Column("suspended_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("suspended_at", services.infra.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "operator_audit",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", services.infra.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_operator_audit_created", "operator_audit", ["created_at", "id"], unique=False
    )


def downgrade():
    op.drop_index("ix_operator_audit_created", table_name="operator_audit")
    op.drop_table("operator_audit")
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.drop_column("suspended_at")
        batch_op.drop_column("suspended_reason")
        batch_op.drop_column("status")
