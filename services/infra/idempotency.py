"""Idempotency-Key (幂等键): a command retried with the same key does its work once.

The client's key is claimed per (community, owner, key) with a fingerprint of the request, in
the service's own table (``IdempotencyKeyColumns``; no table is shared between services). A
retry with the same key and the same request answers the stored result without doing anything;
the same key with another request is 409 ``idempotency_key_reused``; a malformed key is 422
with one message. Like eShopOnContainers' ``IdentifiedCommandHandler``, the work and its key
commit in one transaction (``run``), so an answer is remembered exactly when its work was done,
and a refusal (nothing done) is not remembered: the retry tries again.
"""

import hashlib
import json

from marshmallow import ValidationError, fields
from sqlalchemy import JSON, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from services.infra.db import UTCDateTime, utcnow
from services.infra.errors import Conflict, invalid

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 128
KEY_PROBLEM = f"1-{MAX_KEY_LENGTH} printable characters."
REASON = "idempotency_key_reused"  # the one reason code; the web UI translates it


def checked_key(key):
    """``key`` if it is a well-formed Idempotency-Key (or ``None``: no key); else 422."""
    if key is not None and not _well_formed(key):
        raise invalid({HEADER: [KEY_PROBLEM]})
    return key


def _well_formed(key):
    return isinstance(key, str) and 1 <= len(key) <= MAX_KEY_LENGTH and key.isprintable()


class KeyField(fields.String):
    """An Idempotency-Key inside a payload (a batch's items carry their own): ``checked_key``'s
    rule."""

    def __init__(self, **kwargs):
        super().__init__(load_default=None, allow_none=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not _well_formed(value):
            raise ValidationError(KEY_PROBLEM)
        return value


def fingerprint(request):
    """What makes two requests the same one: a digest of their JSON-safe content."""
    return hashlib.sha256(
        json.dumps(request, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def reused():
    return Conflict(
        "This Idempotency-Key was already used with a different request.", {"reason": REASON}
    )


class IdempotencyKeyColumns:
    """The columns of a service's ``idempotency_keys`` table (mix into its own model).

    ``member_id`` is the key's owner: the member whose key it is, or a name standing for a group
    of callers who share one key space (orders' staff)."""

    __tablename__ = "idempotency_keys"

    @declared_attr.directive
    def __table_args__(cls):
        return (UniqueConstraint("tenant_id", "member_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    # The answer given, returned again to a retry; null for a claim whose answer is found
    # another way (orders: the order placed under the key).
    response: Mapped[dict | None] = mapped_column(JSON, nullable=True)


def find(session, model, tenant_id, owner_id, key):
    """The claim of ``key`` in ``model``'s table, or ``None``."""
    return session.scalars(
        select(model).where(
            model.tenant_id == tenant_id, model.member_id == owner_id, model.key == key
        )
    ).first()


def same_request(claimed, digest):
    """``claimed`` if it was made by the request whose fingerprint is ``digest``; else 409."""
    if claimed.request_hash != digest:
        raise reused()
    return claimed


def run(session, model, tenant_id, owner_id, key, request, answer, **columns):
    """``answer()`` once per ``key``, inside the caller's transaction: the same key and request
    give the stored answer again without doing anything; the same key with another request is
    409; no key, ``answer()`` as is. ``columns``: the service's own columns of the claim.

    The answer is stored in the transaction that did the work; two concurrent tries collide on
    the key's unique constraint (``IntegrityError``): run the call again (``db.in_transaction``),
    or serialize the owner's calls (a row lock) before calling, to get the first answer.
    """
    if checked_key(key) is None:
        return answer()
    digest = fingerprint(request)
    claimed = find(session, model, tenant_id, owner_id, key)
    if claimed is not None:
        if (
            same_request(claimed, digest).response is None
        ):  # claimed by a call that answers otherwise
            raise reused()
        return claimed.response
    result = answer()
    session.add(
        model(
            tenant_id=tenant_id,
            member_id=owner_id,
            key=key,
            request_hash=digest,
            response=result,
            **columns,
        )
    )
    session.flush()
    return result
