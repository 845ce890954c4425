"""Tenant context: who is calling, for which community (tenant).

The gateway puts the caller's token claims into nameko's context data; they travel with every
RPC as headers. A service reads them through the ``CallerContext`` dependency and passes the
resulting ``Caller`` explicitly to its use cases, so every query can be scoped to the tenant.
"""

import time
from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from services.infra.errors import Forbidden, Unauthorized

CONTEXT_KEYS = ("tenant_id", "account_id", "member_id", "role", "correlation_id", "issued_at")


def parse_deadline(value):
    """The ``deadline`` context header as epoch seconds; ``None`` when absent or not a number."""
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Caller:
    tenant_id: str | None = None
    account_id: str | None = None
    member_id: str | None = None
    role: str | None = None
    correlation_id: str | None = None
    issued_at: int | None = (
        None  # the token's ``iat`` (epoch seconds): crm refuses a removed staff's old tokens
    )
    deadline: float | None = None  # epoch seconds by which the caller stops waiting

    @classmethod
    def from_context(cls, data):
        return cls(
            deadline=parse_deadline(data.get("deadline")),
            **{key: data.get(key) or None for key in CONTEXT_KEYS},
        )

    def deadline_passed(self):
        return self.deadline is not None and time.time() >= self.deadline

    def as_context(self):
        return {key: getattr(self, key) for key in CONTEXT_KEYS if getattr(self, key)}

    @property
    def is_staff(self):
        """Leaders and their assistants run the community."""
        return self.role in ("leader", "staff")

    @property
    def member_scope(self):
        """Whose rows this caller may see: ``None`` for staff (the whole community), else their
        own member id (``""`` for a token without one, which matches nothing)."""
        return None if self.is_staff else (self.member_id or "")

    def require_tenant(self):
        if not self.tenant_id:
            raise Unauthorized("This call needs a community.")
        return self.tenant_id

    def require_staff(self):
        self.require_tenant()
        if not self.is_staff:
            raise Forbidden("Only the community's leader or staff may do this.")
        return self

    def require_leader(self, detail="Only the community's leader may do this."):
        """What only the leader decides (money given back, the community's rules), not staff."""
        self.require_staff()
        if self.role != "leader":
            raise Forbidden(detail)
        return self

    def require_member(self):
        self.require_tenant()
        if self.role != "member" or not self.member_id:
            raise Forbidden("Only a member of the community may do this.")
        return self


class CallerContext(DependencyProvider):
    """Hands the worker the ``Caller`` that arrived with the call or event."""

    def get_dependency(self, worker_ctx):
        return Caller.from_context(worker_ctx.data)
