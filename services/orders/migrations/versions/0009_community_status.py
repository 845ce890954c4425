"""community status: crm's suspensions of a community, as orders heard them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 20:30:00
"""

import sqlalchemy as sa
from alembic import op

import services.infra.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "community_status",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("suspended", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("changed_at", services.infra.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )


def downgrade():
    op.drop_table("community_status")
