"""Orders' tables: orders, their lines (price snapshots), timeline and idempotency keys."""

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.infra.db import UTCDateTime, new_id, utcnow
from services.infra.idempotency import IdempotencyKeyColumns


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
    # After-sale (售后) on the order's history, as fulfilment announced them.
    after_sales: Mapped[list["OrderAfterSale"]] = relationship(
        order_by="OrderAfterSale.at", lazy="selectin"
    )
    compensations: Mapped[list["OrderCompensation"]] = relationship(
        order_by="OrderCompensation.at", lazy="selectin"
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


class OrderAfterSale(Base):
    """An after-sale case (售后单) on the order: its kind and where it stands."""

    __tablename__ = "order_after_sales"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # fulfilment's case id
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # open | resolved | rejected
    at: Mapped[object] = mapped_column(UTCDateTime)  # opened


class OrderCompensation(Base):
    """A compensation (补偿) given on the order: a refund, a coupon or points."""

    __tablename__ = "order_compensations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # fulfilment's compensation id
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))  # refund | coupon | points
    amount: Mapped[int] = mapped_column(Integer)  # fen, or points
    at: Mapped[object] = mapped_column(UTCDateTime)


class OrderStatusChange(Base):
    """One entry of the timeline the member sees (已支付 -> 已打包 -> ...)."""

    __tablename__ = "order_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(64))  # "member:<id>", "leader:<id>", "system:<why>"


class IdempotencyKey(IdempotencyKeyColumns, Base):
    """A client's ``Idempotency-Key`` (``services/infra/idempotency.py``): the same key and body
    give the same order, or a payment call's (pay, mark-paid, refund) stored answer; placing an
    order stores no answer (its answer is the order itself)."""

    order_id: Mapped[str] = mapped_column(String(32))


class Payment(Base):
    """One attempt to pay an order, through one provider (offline, sandbox, later WeChat Pay)."""

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # offline | sandbox
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|succeeded|failed|refunded
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
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|succeeded|failed|refunded
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


# --- the cockpit's read model (数据驾驶舱), kept in the same transaction as the order changes ---
# Buckets are UTC hours (hours since 1970), so any whole-hour timezone groups them into local days
# at query time; an order counts in the hour it was paid, its completion in the hour it completed.


class StatsHour(Base):
    """A community's paid orders, money and completions in one UTC hour."""

    __tablename__ = "stats_hours"

    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    paid_to_completed_seconds: Mapped[int] = mapped_column(BigInteger, default=0)


class StatsMember(Base):
    """A member who has paid at least once: the cockpit asks each of them "two orders in the
    range?" with two index seeks, instead of grouping every member-hour of the range."""

    __tablename__ = "stats_members"

    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer, default=0)


class StatsMemberHour(Base):
    """How many orders one member paid in one UTC hour (for paying members and repurchase)."""

    __tablename__ = "stats_member_hours"
    __table_args__ = (
        Index("ix_stats_member_hours_member", "tenant_id", "member_id", "hour", "orders"),
    )

    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer, default=0)


class StatsProductHour(Base):
    """Units and line revenue of one product paid in one UTC hour (top products)."""

    __tablename__ = "stats_product_hours"

    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    revenue_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class StatsProductDay(Base):
    """``StatsProductHour`` summed per UTC day: a year's top products read whole days from here
    and only the two partial days at the range's edges (local midnight) from the hours."""

    __tablename__ = "stats_product_days"

    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)  # days since 1970, UTC
    product_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    revenue_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class CheckoutTerms(Base):
    """What crm last said of a member's checkout without coupon or points (the tier discount),
    so that such an order needs no call to crm (``services.orders.checkout_terms``).

    ``member_id`` ``*`` stands for the whole community (its tier rules changed).
    """

    __tablename__ = "checkout_terms"

    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    discount_percent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    valid_until: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    # Both on orders' clock: when the call that brought the terms was sent, and when orders
    # heard that they changed. Terms count only if fetched after the last change.
    fetched_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    changed_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)


class CommunityStatus(Base):
    """What orders heard of a community's suspension by the platform operator (crm's
    ``community_suspended`` / ``community_resumed``; ``services.orders.community_status``).
    No row: never heard of, so active."""

    __tablename__ = "community_status"

    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    changed_at: Mapped[object] = mapped_column(UTCDateTime)  # crm's time of the change last applied
