"""Fulfilment's tables: the orders it will pack and hand over (its own copy, from events)."""

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.infra.db import UTCDateTime, utcnow


class Base(DeclarativeBase):
    pass


class FulfillmentOrder(Base):
    """An order as fulfilment sees it: what to pick, for whom, and how far it has got."""

    __tablename__ = "fulfillment_orders"

    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    member_id: Mapped[str] = mapped_column(String(32))
    channel_type: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    items: Mapped[list] = mapped_column(JSON)
    total_quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), default="awaiting_payment")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
