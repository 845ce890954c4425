"""Referral's tables: invite codes, who invited whom and what came of it, the program's rules,
what referral knows of members, communities and orders (read models from events), and purchase
showcases (晒单)."""

from sqlalchemy import Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.infra.db import UTCDateTime, new_id, utcnow


class Base(DeclarativeBase):
    pass


class InviteCode(Base):
    """Every active member's own code; the invite link carries it."""

    __tablename__ = "invite_codes"

    member_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    community_slug: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class Referral(Base):
    """An invitee and the member who invited them, fixed at join (one referrer per member).

    The invitee's id is the referral's id (``referral_id`` on the wire). ``status``: joined
    (waiting for the first completed order) -> rewarded | refused (``reason`` says why) ;
    rewarded -> revoked (the first order was refunded within the after-sale window).
    """

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_rewarded", "tenant_id", "status", "rewarded_at"),)

    invitee_member_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    referrer_member_id: Mapped[str] = mapped_column(String(32), index=True)
    code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(
        String(16), default="joined"
    )  # joined|rewarded|refused|revoked
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    first_order_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    first_order_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_order_completed_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    referrer_reward_cents: Mapped[int] = mapped_column(Integer, default=0)
    invitee_reward_cents: Mapped[int] = mapped_column(Integer, default=0)
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    rewarded_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class ReferralProgram(Base):
    """The leader's rules for rewarding invitations, one row per community (defaults until set)."""

    __tablename__ = "referral_programs"

    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    referrer_reward_cents: Mapped[int] = mapped_column(Integer)
    invitee_reward_cents: Mapped[int] = mapped_column(Integer)
    min_first_order_cents: Mapped[int] = mapped_column(Integer)
    weekly_cap: Mapped[int] = mapped_column(Integer)
    allow_same_household: Mapped[bool] = mapped_column(Boolean)
    showcase_points: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CommunityCard(Base):
    """What referral knows of a community (from crm's ``community_created``): for posters."""

    __tablename__ = "communities"

    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    slug: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")


class Neighbour(Base):
    """What referral knows of a member (from crm's ``member_joined``): the name for posters and
    the leaderboard, the household (building + unit) for the fairness rules (no phone: see
    ``services.referral.rewards``)."""

    __tablename__ = "members"

    member_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(40), default="")
    building: Mapped[str] = mapped_column(String(20), default="")
    unit: Mapped[str] = mapped_column(String(20), default="")


class OrderFact(Base):
    """A member's order as referral needs it (from orders' events): is it completed, when, for
    how much, and how much of it was refunded. ``status``:
    placed|paid|completed|cancelled|refunded."""

    __tablename__ = "orders"

    order_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16))
    total_cents: Mapped[int] = mapped_column(Integer, default=0)
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)


class Showcase(Base):
    """A purchase showcase (晒单): a member's words (and a photo link) about one of their
    completed orders; the community sees it once the leader approves it. One per order."""

    __tablename__ = "showcases"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id"),
        Index("ix_showcases_tenant_created", "tenant_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32), index=True)
    order_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(500))
    image_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|approved|rejected
    points: Mapped[int] = mapped_column(Integer, default=0)
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decided_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
