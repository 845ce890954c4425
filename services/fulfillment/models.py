"""Fulfilment's tables: the orders it will pack and hand over, and the members and waves they
belong to (its own copies, from events), plus failed pickup verifications for rate limiting."""

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.infra.db import UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class FulfillmentOrder(Base):
    """An order as fulfilment sees it: what to pick, for whom, and how far it has got.

    ``open_pickup_code`` holds the pickup code (取货码) while the order waits to be picked up
    and is cleared once it is: codes are unique among a community's open orders only.
    ``collectable_at`` is when the member can first collect it (the later of ready and the
    pickup time): the pickup reminder (取货提醒) counts its hours from there, once
    (``reminded_at``).
    """

    __tablename__ = "fulfillment_orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "open_pickup_code", name="uq_open_pickup_code"),
        Index("ix_fulfillment_orders_reminder", "status", "collectable_at"),
    )

    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    member_id: Mapped[str] = mapped_column(String(32))
    channel_type: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    items: Mapped[list] = mapped_column(JSON)
    total_quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), default="awaiting_payment")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    pickup_code: Mapped[str | None] = mapped_column(String(6), nullable=True, index=True)
    open_pickup_code: Mapped[str | None] = mapped_column(String(6), nullable=True)
    picked_up_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    pickup_point: Mapped[str | None] = mapped_column(String(200), nullable=True)
    pickup_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    ready_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    collectable_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    reminded_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    # What the member paid and has been given back (from orders' events): after-sale refunds
    # are checked against it. ``paid_at`` puts an order outside a wave in its day's batch.
    total_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    paid_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)


class FulfillmentMember(Base):
    """A member of a community: name and address for lists and the pickup desk."""

    __tablename__ = "fulfillment_members"

    member_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    building: Mapped[str] = mapped_column(String(40), default="")
    unit: Mapped[str] = mapped_column(String(40), default="")


class FulfillmentWave(Base):
    """A closed group-buy wave (团期): where and when its orders are picked up."""

    __tablename__ = "fulfillment_waves"

    wave_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(120), default="")
    pickup_at: Mapped[object] = mapped_column(UTCDateTime)
    pickup_point: Mapped[str] = mapped_column(String(200))
    packing_note: Mapped[str] = mapped_column(Text, default="")
    units: Mapped[dict] = mapped_column(JSON, default=dict)  # product_id -> unit (斤, 盒, 件)


class FulfillmentCommunity(Base):
    """A community (社区团) as its slips name it, and the clock its members read."""

    __tablename__ = "fulfillment_communities"

    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")


class PickupVerificationFailure(Base):
    """One wrong pickup code entered in a community: counted to rate-limit guessing."""

    __tablename__ = "pickup_verification_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)


class AfterSaleCase(Base):
    """An after-sale case (售后单) a member opens on a completed order: damaged, missing,
    quality or other. ``open_order_id`` is the order id while the case is open and cleared
    when it is closed: one open case per order, whatever the engine."""

    __tablename__ = "after_sale_cases"
    __table_args__ = (
        UniqueConstraint("tenant_id", "open_order_id", name="uq_after_sale_open_order"),
        Index("ix_after_sale_cases_tenant_created", "tenant_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(String(32), index=True)
    member_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # damaged | missing | quality | other
    description: Mapped[str] = mapped_column(Text)
    photo_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved | rejected
    open_order_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reject_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)


class Compensation(Base):
    """A compensation (补偿) on an order: a refund, a coupon or points, resolving a case or
    given proactively. ``pending`` while a refund is on its way through orders; ``granted``
    once given (and announced). At most one per case."""

    __tablename__ = "compensations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    order_id: Mapped[str] = mapped_column(String(32), index=True)
    member_id: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    type: Mapped[str] = mapped_column(String(16))  # refund | coupon | points
    amount: Mapped[int] = mapped_column(Integer)  # fen for refund and coupon, points for points
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | granted
    by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    granted_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)


class StockOnHand(Base):
    """What the leader already has in the storeroom (现货) of a product: the purchase list asks
    the supplier only for the rest. Counted by the leader, not by catalog (catalog's stock is
    what is left to sell)."""

    __tablename__ = "stock_on_hand"

    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
