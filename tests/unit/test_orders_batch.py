"""Placing a batch of orders (``handlers.place_orders``): each attempt answered as if alone, the
shared steps done once."""

from datetime import timedelta

import pytest
from conftest import TENANT, FakeCatalog, FakeCrm, every_product, make_caller

from services.infra.db import utcnow
from services.infra.errors import Conflict, Invalid, ServiceUnavailable, value_of
from services.orders import checkout_terms, handlers
from services.orders.models import Base, IdempotencyKey, Order

BODY = {"items": [{"product_id": "apple", "quantity": 2}]}


def apples_catalog(sold_out=(), fail=None):
    """catalog's ``reserve_stocks``: apples at 350 fen, ``sold_out`` products refused; records
    each call."""
    return FakeCatalog(every_product("Apples", 350), unit="斤", sold_out=sold_out, fail=fail)


@pytest.fixture
def session(make_session):
    return make_session(Base, "orders")


def knows_terms(session, member_id, percent=0):
    """Orders knows the member's tier discount (as after an earlier order), so it prices alone."""
    with session.begin():
        checkout_terms.remember(
            session,
            TENANT,
            member_id,
            {
                "terms": {
                    "discount_percent": percent,
                    "valid_until": (utcnow() + timedelta(hours=1)).isoformat(),
                }
            },
            utcnow(),
        )


def attempt(member_id, payload=BODY, key=None):
    return handlers.Attempt(make_caller("member", member_id=member_id), payload, key)


def place(session, catalog, attempts, crm=None):
    crm = crm or FakeCrm()
    return handlers.place_orders(session, catalog, lambda _caller: (catalog, crm), attempts)


def rows(session, model):
    with session.begin():
        return session.query(model).all()


def test_a_batch_reserves_in_one_call_and_answers_each_attempt_in_order(session):
    for member in ("m1", "m2"):
        knows_terms(session, member, percent=10 if member == "m2" else 0)
    catalog = apples_catalog()
    outcomes = place(session, catalog, [attempt("m1"), attempt("m2"), attempt("m1")])
    orders = [value_of(outcome) for outcome in outcomes]
    assert [order["member_id"] for order in orders] == ["m1", "m2", "m1"]
    assert [order["total_cents"] for order in orders] == [
        700,
        630,
        700,
    ]  # m2's tier discount, priced here
    assert len(catalog.batches) == 1 and len(catalog.batches[0]) == 3
    # Each reservation acts for its own member, keyed by its own order id.
    assert [
        (r["caller"]["member_id"], r["reservation"]["reservation_key"]) for r in catalog.batches[0]
    ] == [(order["member_id"], order["id"]) for order in orders]
    assert len(rows(session, Order)) == 3 and len(rows(session, IdempotencyKey)) == 3


def test_one_attempts_refusal_or_bad_input_leaves_the_others_alone(session):
    knows_terms(session, "m1")
    catalog = apples_catalog(sold_out={"pear"})
    crm = FakeCrm()
    outcomes = place(
        session,
        catalog,
        [
            attempt("m1"),
            attempt("m2", {"items": []}),  # invalid: never reaches catalog
            attempt("m3", {"items": [{"product_id": "pear", "quantity": 1}]}),  # sold out
            attempt("m4", {**BODY, "points_to_use": 10}),  # points: crm prices it, alone
        ],
        crm=crm,
    )
    assert value_of(outcomes[0])["member_id"] == "m1"
    with pytest.raises(Invalid):
        value_of(outcomes[1])
    with pytest.raises(Conflict) as refused:
        value_of(outcomes[2])
    assert refused.value.extra["reason"] == "out_of_stock"
    assert value_of(outcomes[3])["member_id"] == "m4"
    assert [r["caller"]["member_id"] for r in catalog.batches[0]] == ["m1", "m3", "m4"]
    assert {order.member_id for order in rows(session, Order)} == {"m1", "m4"}


def test_a_retried_key_answers_the_order_it_placed(session):
    knows_terms(session, "m1")
    catalog = apples_catalog()
    (first,) = place(session, catalog, [attempt("m1", key="k1")])
    again, other = place(session, catalog, [attempt("m1", key="k1"), attempt("m2", key="k1")])
    assert value_of(again) == value_of(first)
    assert value_of(other)["id"] != value_of(first)["id"]  # another member's key space
    assert [len(batch) for batch in catalog.batches] == [1, 1]  # the retry did not reserve again


def test_the_same_key_twice_in_one_batch_is_one_order(session):
    knows_terms(session, "m1")
    catalog = apples_catalog()
    one, two = place(session, catalog, [attempt("m1", key="k1"), attempt("m1", key="k1")])
    assert value_of(one) == value_of(two)
    assert len(rows(session, Order)) == 1 and catalog.released == []


def test_catalog_unreachable_answers_every_attempt_and_writes_nothing(session):
    catalog = apples_catalog(fail=ServiceUnavailable("The catalog service did not answer in time."))
    outcomes = place(session, catalog, [attempt("m1"), attempt("m2")])
    for outcome in outcomes:
        with pytest.raises(ServiceUnavailable):
            value_of(outcome)
    assert rows(session, Order) == []
    # The attempts stay recorded: the sweeper gives back whatever catalog may have reserved.
    assert len(rows(session, IdempotencyKey)) == 2


def test_attempts_from_checks_the_batch_shape():
    deadline = 1e10
    attempts = handlers.attempts_from(
        [
            {
                "caller": {"tenant_id": TENANT, "member_id": "m1", "role": "member"},
                "payload": BODY,
                "idempotency_key": "k1",
            }
        ],
        deadline,
    )
    assert attempts[0].caller.member_id == "m1" and attempts[0].caller.deadline == deadline
    assert attempts[0].key == "k1"
    for bad in (
        [],
        [{"caller": {}, "payload": BODY, "extra": 1}],
        [{"payload": BODY}],
        [{"caller": {"tenant_id": TENANT, "admin": True}, "payload": BODY}],
        [{"caller": {"tenant_id": TENANT}, "payload": BODY, "idempotency_key": ""}],
        "x",
    ):
        with pytest.raises(Invalid):
            handlers.attempts_from(bad, deadline)
