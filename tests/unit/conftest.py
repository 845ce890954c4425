"""Unit-test fixtures: a fresh SQLite database per test, callers of each role, and the fakes of
the remote service wrappers (``fakes.py``)."""

import uuid

import pytest
from fakes import (  # noqa: F401  (the shared fakes, imported by tests from here)
    CatalogInProcess,
    CrmInProcess,
    FakeCatalog,
    FakeCrm,
    FakeGateway,
    FakeOrders,
    FakeRpc,
    FulfillmentCatalog,
    FulfillmentOrders,
    ReferralCrm,
    ReferralFulfillment,
    ReferralOrders,
    every_product,
)
from sqlalchemy.orm import sessionmaker

from services.infra.context import Caller
from services.infra.db import make_engine, utcnow
from services.infra.messaging import MessagingBase

TENANT = "tenant-a"
OTHER_TENANT = "tenant-b"


def make_caller(
    role="leader", tenant_id=TENANT, member_id=None, account_id="account-1", correlation_id="corr-1"
):
    """A ``Caller`` as the gateway would send it; members get a member id by default."""
    if role == "member" and member_id is None:
        member_id = "member-1"
    return Caller(
        tenant_id=tenant_id,
        account_id=account_id,
        member_id=member_id,
        role=role,
        correlation_id=correlation_id,
    )


def envelope(event_type, data, tenant_id=TENANT, correlation_id=None):
    """An event as another service's outbox publishes it (``EnvelopeSchema``), for consumers'
    tests."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "version": 1,
        "occurred_at": utcnow().isoformat(),
        "tenant_id": tenant_id,
        "correlation_id": correlation_id,
        "data": data,
    }


@pytest.fixture
def anonymous():
    """Someone without a token: no community, no account (signing up, logging in, joining)."""
    return make_caller(None, tenant_id=None, account_id=None)


@pytest.fixture
def caller():
    """``caller(role, tenant_id=..., member_id=...)`` builds a ``Caller``."""
    return make_caller


@pytest.fixture
def session_factory(tmp_path):
    """``session_factory(Base)``: a sessionmaker on a fresh SQLite file holding ``Base``'s
    tables and the messaging tables (outbox, inbox, parked events)."""
    engines = []

    def make(base, name="service"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        engines.append(engine)
        base.metadata.create_all(engine)
        MessagingBase.metadata.create_all(engine)
        # As the ``Database`` provider does: dumped rows stay readable after commit.
        return sessionmaker(engine, expire_on_commit=False)

    yield make
    for engine in engines:
        engine.dispose()


@pytest.fixture
def make_session(session_factory):
    """``make_session(Base)``: one open session on a fresh database, closed after the test."""
    sessions = []

    def make(base, name="service"):
        session = session_factory(base, name)()
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()
