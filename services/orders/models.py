"""Orders' tables: orders, their lines (price snapshots), timeline and idempotency keys."""

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.infra.db import UTCDateTime, new_id, utcnow


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_orders_tenant_member", "tenant_id", "member_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24), default="pending_payment")
    channel_type: Mapped[str] = mapped_column(String(16), default="shop")
    channel_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    subtotal_cents: Mapped[int] = mapped_column(Integer)
    discount_cents: Mapped[int] = mapped_column(Integer, default=0)
    total_cents: Mapped[int] = mapped_column(Integer)
    # How crm's loyalty made up ``discount_cents`` at checkout (tier, coupon, points).
    tier_discount_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    coupon_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    coupon_discount_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    points_used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    points_discount_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    note: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[object] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Where and with which code the member picks the order up (取货码), once it is ready.
    pickup_code: Mapped[str | None] = mapped_column(String(6), nullable=True)
    pickup_point: Mapped[str | None] = mapped_column(String(200), nullable=True)
    pickup_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)

    lines: Mapped[list["OrderLine"]] = relationship(order_by="OrderLine.position", lazy="selectin")
    timeline: Mapped[list["OrderStatusChange"]] = relationship(
        order_by="OrderStatusChange.id", lazy="selectin"
    )


class OrderLine(Base):
    """What was bought, at the name and price the channel showed at that moment."""

    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(16))
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)


class OrderStatusChange(Base):
    """One entry of the timeline the member sees (已支付 -> 已打包 -> ...)."""

    __tablename__ = "order_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(64))  # "member:<id>", "leader:<id>", "system:<why>"


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key``: the same key and body give the same order."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("tenant_id", "member_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class Payment(Base):
    """One attempt to pay an order, through one provider (offline, sandbox, later WeChat Pay)."""

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # offline | sandbox
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|succeeded|failed|refunded
    amount_cents: Mapped[int] = mapped_column(Integer)
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    provider_ref: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SandboxCharge(Base):
    """The sandbox provider's own record of a charge (a real provider keeps this on its side)."""

    __tablename__ = "sandbox_charges"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    amount_cents: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|succeeded|failed|refunded
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class SandboxNotification(Base):
    """A webhook the sandbox provider owes the merchant: retried with backoff until answered 2xx."""

    __tablename__ = "sandbox_notifications"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    charge_id: Mapped[str] = mapped_column(ForeignKey("sandbox_charges.id"))
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    delivered_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class ProcessedNotification(Base):
    """Webhook notifications already applied: a replay is acknowledged and changes nothing."""

    __tablename__ = "processed_notifications"

    notification_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    processed_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class Refund(Base):
    """Money given back on an order, whole or in part, through the provider it came from."""

    __tablename__ = "refunds"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
