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
