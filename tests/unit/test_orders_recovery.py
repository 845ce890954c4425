"""Stock held by an order attempt that never became an order comes back."""

import dataclasses
import time
from datetime import timedelta

import pytest
from conftest import NoDiscounts
from sqlalchemy import select

from services.infra.errors import Conflict, ServiceUnavailable
from services.orders import handlers
from services.orders.models import Base, IdempotencyKey, Order


class Catalog:
    def __init__(self, fail_with=None):
        self.fail_with = fail_with
        self.reserved, self.released = [], []

    def reserve_stock(self, payload):
        self.reserved.append(payload["reservation_key"])
        if self.fail_with:
            raise self.fail_with
        return {"lines": [{"product_id": item["product_id"], "name": "鸡蛋", "unit": "盒",
                           "unit_price_cents": 1500, "quantity": item["quantity"]} for item in payload["items"]]}

    def release_stock(self, key):
        self.released.append(key)


BODY = {"items": [{"product_id": "p1", "quantity": 1}]}


def test_abandoned_attempts_are_released_and_forgotten(make_session, caller):
    session = make_session(Base)
    member = caller("member")
    catalog = Catalog(fail_with=Conflict("short"))
    try:
        handlers.place_order(session, catalog, NoDiscounts(), member, BODY, idempotency_key="k1")
    except Conflict:
        pass
    placed = handlers.place_order(session, Catalog(), NoDiscounts(), member, BODY)  # no client key: still tracked

    # Too young to be abandoned: nothing happens.
    sweeper_catalog = Catalog()
    assert handlers.release_abandoned(session, lambda tenant: sweeper_catalog, lambda tenant: NoDiscounts()) == 0
    assert sweeper_catalog.released == []

    released = handlers.release_abandoned(session, lambda tenant: sweeper_catalog, lambda tenant: NoDiscounts(), older_than=timedelta(0))
    assert released == 1
    assert sweeper_catalog.released == catalog.reserved  # the failed attempt's reservation key
    with session.begin():
        keys = session.scalars(select(IdempotencyKey.order_id)).all()
        assert keys == [placed["id"]]  # the real order's attempt stays
        assert session.get(Order, placed["id"]) is not None

    # A retry with the forgotten key starts afresh with a new order id.
    retried = handlers.place_order(session, Catalog(), NoDiscounts(), member, BODY, idempotency_key="k1")
    assert retried["id"] != catalog.reserved[0]


def test_an_order_its_caller_gave_up_on_is_not_written(make_session, caller):
    session = make_session(Base)
    late = dataclasses.replace(caller("member"), deadline=time.time() - 0.1)
    catalog = Catalog()
    with pytest.raises(ServiceUnavailable):
        handlers.place_order(session, catalog, NoDiscounts(), late, BODY, idempotency_key="k1")
    assert catalog.released == catalog.reserved  # the reservation was given back
    with session.begin():
        assert session.scalars(select(Order)).all() == []
        assert session.scalars(select(IdempotencyKey)).all() == []  # a retry starts afresh
