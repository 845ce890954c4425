"""CRM's tables: communities (tenants), accounts, members, the purchase read model, loyalty
(points ledger, coupons, the checkout holds), tags, posts, notification channels and deliveries."""

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.infra.db import UTCDateTime, new_id, utcnow
from services.infra.idempotency import IdempotencyKeyColumns


class Base(DeclarativeBase):
    pass


class Community(Base):
    """A tenant: one leader's neighbourhood group (社区团)."""

    __tablename__ = "communities"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    leader_display_name: Mapped[str] = mapped_column(String(40))
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class Account(Base):
    """A login: phone + password within one community, with one role."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "phone"), Index("ix_accounts_phone", "phone"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("communities.id"))
    phone: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # leader | staff | member
    display_name: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    # A staff account the leader removed stays (other services name it as who did what) but
    # cannot log in; its tokens issued before ``removed_at`` are refused (``crm.staff``).
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")  # active | removed
    removed_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)


class Member(Base):
    """A resident in the community (团员)."""

    __tablename__ = "members"
    __table_args__ = (Index("ix_members_tenant_created", "tenant_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("communities.id"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    building: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(20))
    birthday: Mapped[str | None] = mapped_column(String(10), nullable=True)  # YYYY-MM-DD
    status: Mapped[str] = mapped_column(String(16), default="active")  # pending | active | rejected
    invite_code: Mapped[str | None] = mapped_column(String(16), nullable=True)  # used at join
    tags: Mapped[list] = mapped_column(JSON, default=list)  # the leader's (manual)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    # Profile (用户画像) and admission (准入).
    auto_tags: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    household_notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    activated_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)  # approved or rejected
    # The member's own choice: no repurchase reminders (提醒) nor repurchase campaigns.
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Purchase(Base):
    """CRM's read model of a member's orders, fed by order events (never by orders' tables)."""

    __tablename__ = "purchases"

    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(24))
    total_cents: Mapped[int] = mapped_column(Integer)
    # Given back so far (partial refunds too): spend for tiers is total - refunded.
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lines: Mapped[list] = mapped_column(JSON)
    placed_at: Mapped[object] = mapped_column(UTCDateTime)


class InboxMessage(Base):
    """A message in a member's inbox. Stored as a catalogue key and its parameters, rendered
    in the reader's language when read (zh-CN first)."""

    __tablename__ = "inbox_messages"
    __table_args__ = (
        Index("ix_inbox_member_created", "tenant_id", "member_id", "created_at", "id"),
        UniqueConstraint("member_id", "dedupe_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(40))  # a key of services/crm/messages.py
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(80))  # one notice per order and kind
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)


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
    kind: Mapped[str] = mapped_column(String(16))  # earned|held|released|spent|returned|reversed|adjusted
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
    cap_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)  # percent: at most this off
    min_spend_cents: Mapped[int] = mapped_column(Integer, default=0)
    valid_from: Mapped[object] = mapped_column(UTCDateTime)
    valid_until: Mapped[object] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="available")  # available|locked|redeemed
    locked_order_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source: Mapped[str] = mapped_column(String(16))  # campaign|referral|birthday|reward|compensation|manual
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
    member_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None: released unseen
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


class MemberTag(Base):
    """One tag on a member (用户画像), ``manual`` (the leader's) or ``auto`` (kept current from
    the purchase history by ``services.crm.tags``): the index the leader filters by and that
    campaigns select their audience with."""

    __tablename__ = "member_tags"
    __table_args__ = (Index("ix_member_tags_tenant_tag", "tenant_id", "tag"),)

    member_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)  # manual | auto
    tenant_id: Mapped[str] = mapped_column(String(32))


class ProductInfo(Base):
    """CRM's read model of catalog's products: what tags need (category, product tags)."""

    __tablename__ = "product_infos"

    product_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    # What recommendations and goods coupons need: the price, and whether it can be bought now
    # (catalog says so on the transitions: out of / back in stock, off / on sale).
    price_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    in_stock: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    on_sale: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class Post(Base):
    """A leader's post (帖子): knowledge (本周菜价走势, 儿童营养早餐食谱) or an event (周末亲子烘焙)."""

    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_tenant_created", "tenant_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # knowledge | event
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    event_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="published")  # published | draft
    published_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Channel(Base):
    """A notification channel of the community (通知渠道): a webhook (企业微信群机器人) or SMTP.
    ``config`` holds the address and any secret; secrets never leave crm."""

    __tablename__ = "channels"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    type: Mapped[str] = mapped_column(String(16))  # webhook | smtp
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """One message to send through one channel: crm's delivery outbox, drained by a timer with
    retries and exponential backoff. ``group_key`` lets messages of one batch (a wave's pickup
    notices at one point) gather into one while the delivery still waits."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_deliveries_group", "channel_id", "group_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # per-member e-mail
    recipient: Mapped[str | None] = mapped_column(String(254), nullable=True)
    group_key: Mapped[str | None] = mapped_column(String(160), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)


class LoginAttempt(Base):
    """A login attempt being checked or failed (rate limiting, in crm's database so every
    process counts the same). ``community`` is the slug asked for, ``""`` when none was."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_phone_at", "phone", "at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    phone: Mapped[str] = mapped_column(String(20))
    community: Mapped[str] = mapped_column(String(40), default="")
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class RepurchasePrediction(Base):
    """When a member will likely buy a product (or a category) again (智能预测), from their
    purchase history (``services.crm.prediction``). ``key`` is ``product:<id>`` or
    ``category:<name>``; rows are replaced whenever the member's purchases change, and daily."""

    __tablename__ = "repurchase_predictions"
    __table_args__ = (Index("ix_predictions_tenant_due", "tenant_id", "next_due_at"),)

    member_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[str | None] = mapped_column(String(32), nullable=True)  # None: a category
    category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    purchases: Mapped[int] = mapped_column(Integer)
    interval_days: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    last_purchase_at: Mapped[object] = mapped_column(UTCDateTime)
    next_due_at: Mapped[object] = mapped_column(UTCDateTime)


class Reminder(Base):
    """A repurchase reminder sent (复购提醒): one per member, product and predicted due date
    (the cycle), so it never goes twice. ``converted_order_id``: the member ordered the product
    within ``CONVERSION_DAYS`` and paid."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "member_id", "product_id", "due_on"),
        Index("ix_reminders_tenant_sent", "tenant_id", "sent_at"),
        Index("ix_reminders_member_sent", "member_id", "sent_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[str] = mapped_column(String(10))  # the predicted due date, community's calendar
    sent_at: Mapped[object] = mapped_column(UTCDateTime)
    converted_order_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    converted_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)


class Campaign(Base):
    """An automated campaign (自动化营销): a trigger, an audience, actions and a schedule.
    ``system_key`` marks the ones every community gets (the birthday greeting), created once."""

    __tablename__ = "campaigns"
    __table_args__ = (
        UniqueConstraint("tenant_id", "system_key"),
        Index("ix_campaigns_tenant_created", "tenant_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(60))
    trigger: Mapped[dict] = mapped_column(JSON)
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    actions: Mapped[list] = mapped_column(JSON)
    schedule: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    system_key: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CampaignRun(Base):
    """One campaign acting on one member for one occurrence (a birthday year, a due date...):
    the unique key written in the same transaction as the actions, so it happens exactly once."""

    __tablename__ = "campaign_runs"
    __table_args__ = (
        UniqueConstraint("campaign_id", "member_id", "occurrence"),
        Index("ix_campaign_runs_campaign_sent", "campaign_id", "sent_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    campaign_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32))
    occurrence: Mapped[str] = mapped_column(String(80))
    sent_at: Mapped[object] = mapped_column(UTCDateTime)


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
