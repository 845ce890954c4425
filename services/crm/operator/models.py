"""The operator's audit trail: who did what to which target, when, and how it ended."""

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from services.crm.base import Base
from services.infra.db import UTCDateTime, new_id, utcnow


class OperatorAudit(Base):
    __tablename__ = "operator_audit"
    __table_args__ = (Index("ix_operator_audit_created", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    actor: Mapped[str] = mapped_column(String(64))  # the operator's account id (its phone masked)
    action: Mapped[str] = mapped_column(String(32))  # login|replay|discard|suspend|resume
    target: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str] = mapped_column(String(16))  # ok|refused|failed
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
