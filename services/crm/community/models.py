"""Communities (tenants): the row every other table's ``tenant_id`` names."""

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from services.crm.base import Base
from services.infra.db import UTCDateTime, new_id, utcnow


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
    # The platform operator may suspend a community (its members cannot order); nothing is deleted.
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    suspended_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    suspended_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)


class PeriodicClaim(Base):
    """Who does one community's share of a periodic job (the daily tag refresh), until when: a
    timer that runs in every crm process claims each unit by moving ``until`` forward with a
    conditional UPDATE, so each unit is done once per period whatever the number of processes."""

    __tablename__ = "periodic_claims"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit: Mapped[str] = mapped_column(String(32), primary_key=True)
    until: Mapped[object] = mapped_column(UTCDateTime)
    claimed_at: Mapped[object] = mapped_column(UTCDateTime)
