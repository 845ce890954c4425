"""crm's own idempotency_keys (services/infra/idempotency.py), for points redemptions; the
keys of earlier redemptions are claimed in it, so their retries still redeem nothing

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:20:00
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

import services.infra.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    keys = op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", services.infra.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "member_id", "key"),
    )
    # A redemption made before keeps its key: no stored answer, so a retry of it is 409
    # (``idempotency_key_reused``) rather than a second redemption.
    redemptions = sa.table(
        "reward_redemptions",
        sa.column("tenant_id"),
        sa.column("member_id"),
        sa.column("request_key"),
        sa.column("reward_id"),
        sa.column("created_at", services.infra.db.UTCDateTime(timezone=True)),
    )
    rows = op.get_bind().execute(sa.select(redemptions)).all()
    op.bulk_insert(
        keys,
        [
            {
                "tenant_id": row.tenant_id,
                "member_id": row.member_id,
                "key": row.request_key,
                "request_hash": _fingerprint(row.reward_id),
                "created_at": row.created_at,
            }
            for row in rows
        ],
    )


def _fingerprint(reward_id):
    """``idempotency.fingerprint`` of a redemption's request, as ``rewards.redeem`` makes it
    (frozen here)."""
    request = {"call": "redeem_reward", "reward_id": reward_id}
    return hashlib.sha256(
        json.dumps(request, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def downgrade():
    op.drop_table("idempotency_keys")
