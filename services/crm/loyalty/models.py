"""Loyalty's tables: the points ledger, coupons, the checkout holds and the rewards catalogue."""

from sqlalchemy import (
    JSON,
    Boolean,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.crm.base import Base
from services.infra.db import UTCDateTime, new_id, utcnow
from services.infra.idempotency import IdempotencyKeyColumns


class PointsEntry(Base):
    """One line of a member's points ledger (积分流水). Append-only: the balance is the sum of
    ``delta``. ``entry_key`` (unique per community) makes every effect happen once."""

    __tablename__ = "points_entries"
    __table_args__ = (
        UniqueConstraint("tenant_id", "entry_key"),
        Index("ix_points_member_created", "tenant_id", "member_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32))
    delta: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(
        String(16)
    )  # earned|held|released|spent|returned|reversed|adjusted
    order_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    entry_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class Coupon(Base):
    """A coupon in a member's wallet (优惠券): fixed amount or a percentage with a cap, usable
    once within its validity window. ``source_key`` (unique per community) makes every issuer
    (campaign, referral reward, birthday, ...) idempotent."""

    __tablename__ = "coupons"
    __table_args__ = (
        UniqueConstraint("tenant_id", "source_key"),
        Index("ix_coupons_member_created", "tenant_id", "member_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # fixed | percent
    amount_cents: Mapped[int] = mapped_column(Integer, default=0)  # fixed
    percent: Mapped[int] = mapped_column(Integer, default=0)  # percent: 1..90
    cap_cents: Mapped[int | None] = mapped_column(
        Integer, nullable=True
    )  # percent: at most this off
    min_spend_cents: Mapped[int] = mapped_column(Integer, default=0)
    valid_from: Mapped[object] = mapped_column(UTCDateTime)
    valid_until: Mapped[object] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(
        String(16), default="available"
    )  # available|locked|redeemed
    locked_order_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source: Mapped[str] = mapped_column(
        String(16)
    )  # campaign|referral|birthday|reward|compensation|manual
    source_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    redeemed_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)


class Checkout(Base):
    """What loyalty did for one order at checkout (结算): the discounts it granted, the coupon it
    locked and the points it held. One per order id, so a retried checkout answers the same.

    ``status``: held (order unpaid) -> spent (paid) or released (cancelled, abandoned).
    """

    __tablename__ = "checkouts"

    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str | None] = mapped_column(
        String(32), nullable=True
    )  # None: released unseen
    status: Mapped[str] = mapped_column(String(16))
    subtotal_cents: Mapped[int] = mapped_column(Integer, default=0)
    tier_name: Mapped[str | None] = mapped_column(String(20), nullable=True)
    tier_discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    coupon_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    coupon_discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    points_used: Mapped[int] = mapped_column(Integer, default=0)
    total_cents: Mapped[int] = mapped_column(Integer, default=0)
    # After payment: what the order earned and how much of it, and of the points spent, the
    # refunds so far took back or gave back (targets, so each refund settles only the rest).
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    points_earned: Mapped[int] = mapped_column(Integer, default=0)
    points_reversed: Mapped[int] = mapped_column(Integer, default=0)
    points_returned: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Reward(Base):
    """An item of the rewards catalogue (积分兑换): points for a goods coupon or a coupon."""

    __tablename__ = "rewards"
    __table_args__ = (Index("ix_rewards_tenant_created", "tenant_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(60))
    points_cost: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # goods_coupon | coupon
    product_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # goods_coupon
    coupon: Mapped[dict] = mapped_column(JSON)  # a coupon spec (loyalty.CouponSpec)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RewardRedemption(Base):
    """A member spent points on a reward; ``request_key`` (the Idempotency-Key, or a fresh id)
    makes a retried request answer the same redemption."""

    __tablename__ = "reward_redemptions"
    __table_args__ = (UniqueConstraint("tenant_id", "member_id", "request_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32))
    reward_id: Mapped[str] = mapped_column(String(32))
    request_key: Mapped[str] = mapped_column(String(128))
    points: Mapped[int] = mapped_column(Integer)
    coupon_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyKey(IdempotencyKeyColumns, Base):
    """A member's ``Idempotency-Key`` on a points redemption (``services/infra/idempotency.py``):
    the retry gets the stored answer, the same key for another reward is 409."""
