"""Members and what crm knows of them: profiles and tags, and the read models of their
purchases and of catalog's products (fed by events, never by another service's tables)."""

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.crm.base import Base
from services.infra.db import UTCDateTime, new_id, utcnow


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
    decided_at: Mapped[object | None] = mapped_column(
        UTCDateTime, nullable=True
    )  # approved or rejected
    # The member's own choice: no repurchase reminders (提醒) nor repurchase campaigns.
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class MemberTag(Base):
    """One tag on a member (用户画像), ``manual`` (the leader's) or ``auto`` (kept current from
    the purchase history by ``services.crm.members.tags``): the index the leader filters by and that
    campaigns select their audience with."""

    __tablename__ = "member_tags"
    __table_args__ = (Index("ix_member_tags_tenant_tag", "tenant_id", "tag"),)

    member_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)  # manual | auto
    tenant_id: Mapped[str] = mapped_column(String(32))


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
