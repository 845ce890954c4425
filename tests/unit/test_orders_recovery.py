"""Stock held by an order attempt that never became an order comes back."""

import dataclasses
import time
from datetime import UTC, datetime, timedelta

import pytest
from conftest import FakeCatalog, FakeCrm, every_product
from sqlalchemy import select

from services.infra.db import set_clock
from services.infra.errors import Conflict, ServiceUnavailable
from services.orders import handlers, payments
from services.orders.models import Base, IdempotencyKey, Order


def catalog_of_eggs(refuse=None):
    return FakeCatalog(every_product("鸡蛋", 1500), unit="盒", refuse=refuse)


BODY = {"items": [{"product_id": "p1", "quantity": 1}]}
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def real_clock_after():
    yield
    set_clock(None)


def test_abandoned_attempts_are_released_and_forgotten(make_session, caller):
    session = make_session(Base)
    member = caller("member")
    catalog = catalog_of_eggs(refuse=Conflict("short"))
    try:
        handlers.place_order(session, catalog, FakeCrm(), member, BODY, idempotency_key="k1")
    except Conflict:
        pass
    placed = handlers.place_order(
        session, catalog_of_eggs(), FakeCrm(), member, BODY
    )  # no client key: still tracked

    # Too young to be abandoned: nothing happens.
    sweeper_catalog = catalog_of_eggs()
    assert (
        handlers.release_abandoned(
            session, lambda tenant: sweeper_catalog, lambda tenant: FakeCrm()
        )
        == 0
    )
    assert sweeper_catalog.released == []

    released = handlers.release_abandoned(
        session, lambda tenant: sweeper_catalog, lambda tenant: FakeCrm(), older_than=timedelta(0)
    )
    assert released == 1
    assert sweeper_catalog.released == catalog.reserved_keys  # the failed attempt's reservation key
    with session.begin():
        keys = session.scalars(select(IdempotencyKey.order_id)).all()
        assert keys == [placed["id"]]  # the real order's attempt stays
        assert session.get(Order, placed["id"]) is not None

    # A retry with the forgotten key starts afresh with a new order id.
    retried = handlers.place_order(
        session, catalog_of_eggs(), FakeCrm(), member, BODY, idempotency_key="k1"
    )
    assert retried["id"] != catalog.reserved_keys[0]


def test_an_order_its_caller_gave_up_on_is_not_written(make_session, caller):
    session = make_session(Base)
    late = dataclasses.replace(caller("member"), deadline=time.time() - 0.1)
    catalog = catalog_of_eggs()
    with pytest.raises(ServiceUnavailable):
        handlers.place_order(session, catalog, FakeCrm(), late, BODY, idempotency_key="k1")
    assert catalog.released == catalog.reserved_keys  # the reservation was given back
    with session.begin():
        assert session.scalars(select(Order)).all() == []
        assert session.scalars(select(IdempotencyKey)).all() == []  # a retry starts afresh


def _keys(session):
    with session.begin():
        return sorted(session.scalars(select(IdempotencyKey.key)).all())


def test_keys_expire_a_day_after_their_order_but_never_an_attempt_without_one(make_session, caller):
    session = make_session(Base)
    member, leader = caller("member"), caller("leader")
    set_clock(lambda: START)
    old = handlers.place_order(
        session, catalog_of_eggs(), FakeCrm(), member, BODY, idempotency_key="old"
    )
    with session.begin():
        payments.mark_paid_offline(
            session,
            leader,
            {"offline": payments.OfflineProvider()},
            old["id"],
            idempotency_key="pay-old",
        )
    # An attempt that never got an order (orders crashed mid-saga): the sweeper's to release.
    handlers.claim_idempotency_key(session, member, "orphan", {"items": []})
    set_clock(lambda: START + timedelta(hours=23))
    young = handlers.place_order(
        session, catalog_of_eggs(), FakeCrm(), member, BODY, idempotency_key="young"
    )

    set_clock(lambda: START + handlers.IDEMPOTENCY_KEY_RETENTION - timedelta(seconds=1))
    assert handlers.expire_idempotency_keys(session) == 0

    set_clock(lambda: START + handlers.IDEMPOTENCY_KEY_RETENTION + timedelta(seconds=1))
    assert handlers.expire_idempotency_keys(session, batch=1) == 1
    # The leader's payment key is the staff's: kept a month (money must not move twice).
    assert _keys(session) == ["orphan", "pay-old", "young"]
    # The orphan is still the sweeper's work, however old; the sweeper then forgets it.
    with session.begin():
        orphan_order_id = session.scalars(
            select(IdempotencyKey.order_id).where(IdempotencyKey.key == "orphan")
        ).one()
    assert [
        order_id for _, order_id in handlers.abandoned_attempts(session, handlers.ABANDONED_AFTER)
    ] == [orphan_order_id]
    assert (
        handlers.release_abandoned(
            session, lambda tenant: catalog_of_eggs(), lambda tenant: FakeCrm()
        )
        == 1
    )
    assert _keys(session) == ["pay-old", "young"]

    # The expired key is a new request now; the young one still answers its order.
    retried = handlers.place_order(
        session, catalog_of_eggs(), FakeCrm(), member, BODY, idempotency_key="old"
    )
    assert retried["id"] != old["id"]
    again = handlers.place_order(
        session, catalog_of_eggs(), FakeCrm(), member, BODY, idempotency_key="young"
    )
    assert again["id"] == young["id"]

    set_clock(lambda: START + handlers.STAFF_KEY_RETENTION + timedelta(seconds=1))
    assert handlers.expire_idempotency_keys(session, batch=1) == 3  # one key per batch, to the end
    assert _keys(session) == []


def test_a_key_forgotten_while_claimed_is_claimed_afresh(make_session, caller, monkeypatch):
    session = make_session(Base)
    member = caller("member")
    first, _ = handlers.claim_idempotency_key(session, member, "k1", BODY)
    real_claimed_key = handlers._claimed_key

    def forgotten_meanwhile(session, caller, key):  # the sweep ran between the insert and the read
        session.execute(handlers.delete(IdempotencyKey).where(IdempotencyKey.key == key))
        return real_claimed_key(session, caller, key)

    monkeypatch.setattr(handlers, "_claimed_key", forgotten_meanwhile)
    order_id, new = handlers.claim_idempotency_key(session, member, "k1", BODY)
    assert new and order_id != first
    assert _keys(session) == ["k1"]
