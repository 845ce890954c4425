"""Referral's tables: invite codes and who invited whom."""

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.infra.db import UTCDateTime, utcnow


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
    """An invitee and the member who invited them, fixed at join (one referrer per member)."""

    __tablename__ = "referrals"

    invitee_member_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True)
    referrer_member_id: Mapped[str] = mapped_column(String(32), index=True)
    code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="joined")  # joined | rewarded | refused
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
