"""periodic claims: each community's share of a periodic job, claimed by one process at a time

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 19:20:00.000000
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
        "periodic_claims",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("until", services.infra.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", services.infra.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", "unit"),
    )


def downgrade():
    op.drop_table("periodic_claims")
