"""CRM's tables: communities (tenants), accounts, members and the purchase read model."""

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.infra.db import UTCDateTime, new_id, utcnow


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
    tags: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class Purchase(Base):
    """CRM's read model of a member's orders, fed by order events (never by orders' tables)."""

    __tablename__ = "purchases"

    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(24))
    total_cents: Mapped[int] = mapped_column(Integer)
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
