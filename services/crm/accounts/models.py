"""Logins: accounts (leader, staff, member) and the login attempts being rate limited."""

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.crm.base import Base
from services.infra.db import UTCDateTime, new_id, utcnow


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
    status: Mapped[str] = mapped_column(
        String(16), default="active", server_default="active"
    )  # active | removed
    removed_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)


class LoginAttempt(Base):
    """A login attempt being checked or failed (rate limiting, in crm's database so every
    process counts the same). ``community`` is the slug asked for, ``""`` when none was."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_phone_at", "phone", "at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    phone: Mapped[str] = mapped_column(String(20))
    community: Mapped[str] = mapped_column(String(40), default="")
    at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
