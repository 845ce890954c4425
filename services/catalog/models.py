"""Catalog's tables: products, stock reservations and group-buy waves. Private to this service."""

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.infra.db import UTCDateTime, new_id, utcnow


class Base(DeclarativeBase):
    pass


class Product(Base):
    """Something the leader sells, with its story (产地故事) and honest notes (真实提醒)."""

    __tablename__ = "products"
    __table_args__ = (Index("ix_products_tenant_created", "tenant_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    story: Mapped[str] = mapped_column(Text, default="")
    honest_notes: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    unit: Mapped[str] = mapped_column(String(16), default="件")
    price_cents: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    image_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="on_sale")  # on_sale | off_sale
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StockReservation(Base):
    """Stock held for one order (``reservation_key``), so a retried reserve is a no-op."""

    __tablename__ = "stock_reservations"
    __table_args__ = (UniqueConstraint("tenant_id", "reservation_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    reservation_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="reserved")  # reserved | released
    lines: Mapped[list] = mapped_column(JSON)
    # Where the order was placed (``wave`` + its id), and for whom: releasing gives the wave's
    # quota and the member's per-wave purchases back too. Null for the shop.
    channel_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    channel_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    member_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Wave(Base):
    """A group-buy wave (团期): orders until the cut-off, then one pickup at one point."""

    __tablename__ = "waves"
    __table_args__ = (
        Index("ix_waves_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_waves_status_cutoff", "status", "cutoff_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(60))
    cutoff_at: Mapped[object] = mapped_column(UTCDateTime)
    pickup_at: Mapped[object] = mapped_column(UTCDateTime)
    pickup_point: Mapped[str] = mapped_column(String(100))
    packing_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | closed
    closed_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class WaveItem(Base):
    """A product offered in a wave, at the wave's price, within its quota (限量) and limit (限购)."""

    __tablename__ = "wave_items"
    __table_args__ = (UniqueConstraint("wave_id", "product_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    wave_id: Mapped[str] = mapped_column(String(32), ForeignKey("waves.id"))
    product_id: Mapped[str] = mapped_column(String(32), ForeignKey("products.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    price_cents: Mapped[int] = mapped_column(Integer)
    quota: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: only stock limits it
    per_member_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sold: Mapped[int] = mapped_column(Integer, default=0)


class ChannelPurchase(Base):
    """How much of a product one member holds through one channel: the per-member limit's counter.

    One row per key, incremented by a conditional UPDATE, so two concurrent orders of the same
    member cannot both pass the limit.
    """

    __tablename__ = "channel_purchases"
    __table_args__ = (
        UniqueConstraint("tenant_id", "channel_type", "channel_id", "product_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    channel_type: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
