"""Engagement's tables: repurchase predictions and reminders, campaigns and their runs, posts."""

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.crm.base import Base
from services.infra.db import UTCDateTime, new_id, utcnow


class RepurchasePrediction(Base):
    """When a member will likely buy a product (or a category) again (智能预测), from their
    purchase history (``services.crm.engagement.prediction``). ``key`` is ``product:<id>`` or
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


class Post(Base):
    """A leader's post (帖子): knowledge (本周菜价走势, 儿童营养早餐食谱) or an event
    (周末亲子烘焙)."""

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
