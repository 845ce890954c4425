"""What crm tells members: their inbox, the community's channels and the delivery outbox."""

from sqlalchemy import (
    JSON,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.crm.base import Base
from services.infra.db import UTCDateTime, new_id, utcnow


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
    kind: Mapped[str] = mapped_column(String(40))  # a key of services/crm/notifications/messages.py
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(80))  # one notice per order and kind
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)


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
