"""after-sale history and payment idempotency answers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 22:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import services.infra.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "order_after_sales",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", services.infra.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("order_after_sales", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_after_sales_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "order_compensations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("at", services.infra.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("order_compensations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_compensations_order_id"), ["order_id"], unique=False
        )

    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_column("response")

    with op.batch_alter_table("order_compensations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_compensations_order_id"))

    op.drop_table("order_compensations")
    with op.batch_alter_table("order_after_sales", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_after_sales_order_id"))

    op.drop_table("order_after_sales")
