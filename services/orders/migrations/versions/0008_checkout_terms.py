"""checkout terms: crm's tier discount remembered per member

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 01:10:00
"""

import sqlalchemy as sa
from alembic import op

import services.infra.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "checkout_terms",
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("discount_percent", sa.Integer(), nullable=True),
        sa.Column("valid_until", services.infra.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", services.infra.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("changed_at", services.infra.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "member_id"),
    )


def downgrade():
    op.drop_table("checkout_terms")
