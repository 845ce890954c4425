"""Catalog's tables: products, stock reservations, group-buy waves and live sessions. Private to
this service."""

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    __table_args__ = (
        UniqueConstraint("tenant_id", "reservation_key"),
        # A live session's stats (buyers, orders, GMV) are read from its reservations.
        Index("ix_stock_reservations_channel", "channel_type", "channel_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    reservation_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="reserved")  # reserved | released
    lines: Mapped[list] = mapped_column(JSON)
    # Where the order was placed (``wave`` or ``live`` + its id), and for whom: releasing gives
    # the channel's quota and the member's purchases back too. Null for the shop.
    channel_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    channel_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    member_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # What the lines come to, so a session's GMV is one SUM (null for rows older than 0003).
    total_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
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
    """A product offered in a wave, at the wave's price, within its quota (限量) and limit
    (限购)."""

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


class LiveSession(Base):
    """A live session (直播场次): the leader sells on camera, at live-only prices while it is live.

    ``scheduled -> live -> ended``; the video itself is the leader's provider's (``stream_url``).
    """

    __tablename__ = "live_sessions"
    __table_args__ = (Index("ix_live_sessions_tenant_created", "tenant_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(60))
    host_persona: Mapped[str] = mapped_column(String(200))
    co_hosts: Mapped[list] = mapped_column(JSON, default=list)  # [{name, role}], 嘉宾
    scheduled_at: Mapped[object] = mapped_column(UTCDateTime)
    stream_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | live | ended
    started_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    pinned_product_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # 讲解中
    peak_viewers: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class LiveItem(Base):
    """A product offered in a live session at its live price, within a quota and a limit."""

    __tablename__ = "live_items"
    __table_args__ = (UniqueConstraint("session_id", "product_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(String(32), ForeignKey("live_sessions.id"))
    product_id: Mapped[str] = mapped_column(String(32), ForeignKey("products.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    price_cents: Mapped[int] = mapped_column(Integer)
    quota: Mapped[int] = mapped_column(Integer)  # a live item is always limited (限量)
    per_member_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sold: Mapped[int] = mapped_column(Integer, default=0)


class LiveComment(Base):
    """A member's comment (弹幕) in the live room; ``author`` is already masked."""

    __tablename__ = "live_comments"
    __table_args__ = (
        Index("ix_live_comments_session_created", "session_id", "created_at", "id"),
        Index("ix_live_comments_member", "session_id", "member_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[str] = mapped_column(String(32), ForeignKey("live_sessions.id"))
    member_id: Mapped[str] = mapped_column(String(32))
    author: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(200))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class LivePresence(Base):
    """One open websocket in a live room, per gateway connection.

    The gateway process holding it (``instance_id``) refreshes ``seen_at``; rows of a process
    that died stop being refreshed and are pruned, so ``watching`` heals by itself.
    """

    __tablename__ = "live_presence"
    __table_args__ = (Index("ix_live_presence_session", "session_id", "member_id"),)

    connection_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32))  # the account id for staff
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)  # staff are not viewers
    instance_id: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)


class LiveViewer(Base):
    """A member who was in the room while the session was live: distinct viewers, kept after."""

    __tablename__ = "live_viewers"
    __table_args__ = (UniqueConstraint("session_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32))


class CatalogMember(Base):
    """Read model of crm's members (from ``member_joined``): only the masked display name
    (李**), all the live room ever shows of a buyer or an author."""

    __tablename__ = "catalog_members"

    member_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    masked_name: Mapped[str] = mapped_column(String(40))
