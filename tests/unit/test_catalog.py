"""Catalog use cases over a real (SQLite) session."""

import json

import pytest
from sqlalchemy import event, select

from services.catalog import handlers
from services.catalog.models import Base, Product, StockReservation
from services.infra.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceUnavailable,
    value_of,
)
from services.infra.messaging import OutboxMessage
from services.infra.schemas import encode_cursor


@pytest.fixture
def session(make_session):
    return make_session(Base, "catalog")


@pytest.fixture
def leader(caller):
    return caller("leader")


def create(session, leader, **fields):
    payload = {"name": "Apples", "price_cents": 1250, "stock": 10, **fields}
    with session.begin():
        return handlers.create_product(session, leader, payload)


def stock_of(session, product_id):
    with session.begin():
        return session.get(Product, product_id, populate_existing=True).stock


def test_create_update_get(session, leader, caller):
    product = create(session, leader, tags=["fruit"], category="fruit")
    assert product["price_cents"] == 1250 and isinstance(product["price_cents"], int)
    assert product["status"] == "on_sale" and product["tags"] == ["fruit"]
    assert product["created_at"].endswith("+00:00")

    with session.begin():
        updated = handlers.update_product(session, leader, product["id"], {"price_cents": 990})
    assert updated["price_cents"] == 990
    assert updated["name"] == "Apples" and updated["stock"] == 10  # partial: the rest is kept

    with session.begin():
        seen = handlers.get_product(session, caller("member"), product["id"])
    assert seen["price_cents"] == 990

    with session.begin():
        outbox = session.query(OutboxMessage).all()
    # crm's read model follows the price (goods coupons, upgrades): the change is told.
    assert [row.event_type for row in outbox] == ["product_created", "product_updated"]
    assert outbox[0].payload["data"]["product_id"] == product["id"]
    assert outbox[0].payload["tenant_id"] == "tenant-a"
    assert (
        outbox[1].payload["data"]["price_cents"] == 990
        and outbox[1].payload["data"]["in_stock"] is True
    )


def test_members_cannot_create(session, caller):
    with pytest.raises(Forbidden), session.begin():
        handlers.create_product(session, caller("member"), {"name": "x", "price_cents": 1})


def test_another_tenants_product_is_not_found(session, leader, caller):
    product = create(session, leader)
    stranger = caller("leader", tenant_id="tenant-b")
    with pytest.raises(NotFound), session.begin():
        handlers.get_product(session, stranger, product["id"])
    with pytest.raises(NotFound), session.begin():
        handlers.update_product(session, stranger, product["id"], {"price_cents": 1})
    with session.begin():
        assert handlers.list_products(session, stranger, {})["items"] == []


def test_members_do_not_see_off_sale_products(session, leader, caller):
    on_sale = create(session, leader, name="On sale")
    off_sale = create(session, leader, name="Hidden", status="off_sale")
    member = caller("member")
    with session.begin():
        listed = handlers.list_products(session, member, {})
    assert [p["id"] for p in listed["items"]] == [on_sale["id"]]
    with pytest.raises(NotFound), session.begin():
        handlers.get_product(session, member, off_sale["id"])
    with session.begin():
        assert len(handlers.list_products(session, leader, {})["items"]) == 2


def test_list_pages_with_a_cursor(session, leader):
    created = [create(session, leader, name=f"Product {i}")["id"] for i in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        with session.begin():
            result = handlers.list_products(session, leader, {"limit": 2, "cursor": cursor})
        pages += 1
        seen += [p["id"] for p in result["items"]]
        cursor = result["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(created))  # newest first, each exactly once


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "x", "price_cents": 1, "colour": "red"}, "colour"),
        ({"name": "x", "price_cents": True}, "price_cents"),
        ({"name": "x", "price_cents": "100"}, "price_cents"),
        ({"name": "x", "price_cents": 1.5}, "price_cents"),
        ({"name": "x", "price_cents": 1, "stock": True}, "stock"),
        ({"name": "x", "price_cents": -1}, "price_cents"),
        ({"name": "x" * 81, "price_cents": 1}, "name"),
        ({"name": 5, "price_cents": 1}, "name"),
        ({"price_cents": 1}, "name"),
    ],
)
def test_invalid_product_input(session, leader, payload, field):
    with pytest.raises(Invalid) as raised, session.begin():
        handlers.create_product(session, leader, payload)
    assert raised.value.status == 422
    assert field in raised.value.extra["errors"]


def test_update_validates_too(session, leader):
    product = create(session, leader)
    with pytest.raises(Invalid) as raised, session.begin():
        handlers.update_product(session, leader, product["id"], {"stock": True})
    assert "stock" in raised.value.extra["errors"]


def reserve(session, member, key, *items):
    with session.begin():
        return handlers.reserve_stock(
            session,
            member,
            {"reservation_key": key, "items": [{"product_id": p, "quantity": q} for p, q in items]},
        )


def test_reserve_is_all_or_nothing(session, leader, caller):
    plenty = create(session, leader, name="Plenty", stock=10)["id"]
    short = create(session, leader, name="Short", stock=2)["id"]
    member = caller("member")
    with pytest.raises(Conflict) as raised:
        reserve(session, member, "order-1", (plenty, 3), (short, 5))
    extra = raised.value.extra
    assert extra["product_id"] == short and extra["reason"] == "out_of_stock"
    assert extra["available"] == 2 and type(extra["available"]) is int
    assert extra["requested"] == 5 and type(extra["requested"]) is int
    assert stock_of(session, plenty) == 10 and stock_of(session, short) == 2


def test_reserve_prices_lines_and_is_idempotent(session, leader, caller):
    product = create(session, leader, stock=10, price_cents=300)["id"]
    member = caller("member")
    first = reserve(session, member, "order-1", (product, 2), (product, 1))
    assert first["lines"] == [
        {
            "product_id": product,
            "name": "Apples",
            "unit": "件",
            "unit_price_cents": 300,
            "quantity": 3,
        }
    ]
    again = reserve(session, member, "order-1", (product, 2), (product, 1))
    assert again == first
    assert stock_of(session, product) == 7


def test_reserve_never_goes_below_zero(session, leader, caller):
    product = create(session, leader, stock=3)["id"]
    member = caller("member")
    reserve(session, member, "order-1", (product, 3))
    assert stock_of(session, product) == 0
    with pytest.raises(Conflict) as raised:
        reserve(session, member, "order-2", (product, 1))
    assert raised.value.extra["available"] == 0
    assert stock_of(session, product) == 0


def test_reserve_refuses_off_sale_and_foreign_products(session, leader, caller):
    hidden = create(session, leader, status="off_sale")["id"]
    with pytest.raises(Conflict) as raised:
        reserve(session, caller("member"), "order-1", (hidden, 1))
    assert raised.value.extra["reason"] == "not_on_sale"
    visible = create(session, leader)["id"]
    with pytest.raises(NotFound):
        reserve(session, caller("member", tenant_id="tenant-b"), "order-2", (visible, 1))


def test_release_returns_stock_once(session, leader, caller):
    product = create(session, leader, stock=5)["id"]
    member = caller("member")
    reserve(session, member, "order-1", (product, 4))
    assert stock_of(session, product) == 1
    with session.begin():
        assert handlers.release_stock(session, member, "order-1")["released"] is True
    assert stock_of(session, product) == 5
    with session.begin():
        assert handlers.release_stock(session, member, "order-1")["released"] is False
    assert stock_of(session, product) == 5
    with session.begin():
        assert handlers.release_stock(session, member, "never-reserved")["released"] is False
    with pytest.raises(Conflict):  # a released reservation is not silently re-taken
        reserve(session, member, "order-1", (product, 4))
    assert stock_of(session, product) == 5


def test_release_is_scoped_to_the_tenant(session, leader, caller):
    product = create(session, leader, stock=5)["id"]
    reserve(session, caller("member"), "order-1", (product, 4))
    with session.begin():
        result = handlers.release_stock(session, caller("member", tenant_id="tenant-b"), "order-1")
    assert result["released"] is False
    assert stock_of(session, product) == 1


def batch_item(key, *items, tenant_id="tenant-a", member_id="member-1", **reservation):
    """One request of ``reserve_stocks``: a member's order, as orders sends it."""
    return {
        "caller": {"tenant_id": tenant_id, "member_id": member_id, "correlation_id": f"corr-{key}"},
        "reservation": {
            "reservation_key": key,
            "items": [{"product_id": p, "quantity": q} for p, q in items],
            **reservation,
        },
    }


def reserve_batch(session, *requests):
    # The answer crosses RPC as JSON: the outcomes must survive it.
    return json.loads(json.dumps(handlers.reserve_stocks(session, list(requests))))


def reservations(session):
    with session.begin():
        return sorted(
            (row.tenant_id, row.reservation_key)
            for row in session.scalars(select(StockReservation))
        )


def test_batch_reserves_each_order_for_its_own_community(session, leader, caller):
    ours = create(session, leader, stock=10, price_cents=300)["id"]
    theirs = create(session, caller("leader", tenant_id="tenant-b"), name="Pears", stock=10)["id"]
    answers = reserve_batch(
        session,
        batch_item("order-a", (ours, 2)),
        batch_item("order-b", (theirs, 3), tenant_id="tenant-b", member_id="member-9"),
    )
    assert value_of(answers[0]) == {
        "reservation_key": "order-a",
        "lines": [
            {
                "product_id": ours,
                "name": "Apples",
                "unit": "件",
                "unit_price_cents": 300,
                "quantity": 2,
            }
        ],
    }
    assert value_of(answers[1])["lines"][0]["name"] == "Pears"
    assert stock_of(session, ours) == 8 and stock_of(session, theirs) == 7
    assert reservations(session) == [("tenant-a", "order-a"), ("tenant-b", "order-b")]

    # Each item is scoped to its own community: another one's product is not found.
    answers = reserve_batch(session, batch_item("order-c", (theirs, 1)))
    with pytest.raises(NotFound):
        value_of(answers[0])
    assert stock_of(session, theirs) == 7


def test_a_batch_that_all_fits_commits_once(session, leader):
    product = create(session, leader, stock=10)["id"]
    commits = []
    event.listen(session, "after_commit", lambda _session: commits.append(1))
    answers = reserve_batch(session, *(batch_item(f"order-{i}", (product, 1)) for i in range(3)))
    assert [value_of(answer)["reservation_key"] for answer in answers] == [
        "order-0",
        "order-1",
        "order-2",
    ]
    assert len(commits) == 1 and stock_of(session, product) == 7


def test_batch_item_refused_leaves_the_others(session, leader):
    plenty = create(session, leader, name="Plenty", stock=10)["id"]
    short = create(session, leader, name="Short", stock=1)["id"]
    answers = reserve_batch(
        session,
        batch_item("order-1", (plenty, 1)),
        batch_item("order-2", (plenty, 2), (short, 5)),
        batch_item("order-3", (plenty, 3)),
    )
    assert [value_of(answers[0])["reservation_key"], value_of(answers[2])["reservation_key"]] == [
        "order-1",
        "order-3",
    ]
    with pytest.raises(Conflict) as raised:
        value_of(answers[1])
    assert raised.value.extra == {
        "product_id": short,
        "reason": "out_of_stock",
        "available": 1,
        "requested": 5,
    }
    # The refused order's own decrement of ``plenty`` was rolled back, and only it.
    assert stock_of(session, plenty) == 6 and stock_of(session, short) == 1
    assert [key for _, key in reservations(session)] == ["order-1", "order-3"]


def test_batch_is_idempotent_per_key(session, leader):
    product = create(session, leader, stock=10)["id"]
    first, again = reserve_batch(
        session, batch_item("order-1", (product, 4)), batch_item("order-1", (product, 4))
    )
    assert value_of(first) == value_of(again) and value_of(first)["lines"][0]["quantity"] == 4
    (retried,) = reserve_batch(session, batch_item("order-1", (product, 4)))
    assert value_of(retried) == value_of(first)
    assert stock_of(session, product) == 6
    assert len(reservations(session)) == 1


@pytest.mark.parametrize(
    "shape, field",
    [
        (lambda product: [], None),
        (lambda product: [batch_item(f"order-{i}", (product, 1)) for i in range(201)], None),
        (
            lambda product: [
                batch_item("order-1", (product, 1)),
                {
                    "caller": {"member_id": "member-1"},
                    "reservation": batch_item("order-2", (product, 1))["reservation"],
                },
            ],
            "tenant_id",
        ),
        (lambda product: [{**batch_item("order-1", (product, 1)), "role": "leader"}], "role"),
        (
            lambda product: [
                {
                    "caller": {"tenant_id": "tenant-a", "role": "leader"},
                    "reservation": batch_item("order-1", (product, 1))["reservation"],
                }
            ],
            "role",
        ),
        (lambda product: [{"caller": {"tenant_id": "tenant-a"}, "reservation": []}], "reservation"),
        (lambda product: {"requests": []}, None),
    ],
)
def test_batch_of_a_bad_shape_is_invalid_and_takes_nothing(session, leader, shape, field):
    product = create(session, leader, stock=500)["id"]
    with pytest.raises(Invalid) as raised:
        handlers.reserve_stocks(session, shape(product))
    errors = raised.value.extra["errors"]
    assert list(errors) == ["requests"]
    if field is not None:
        assert field in json.dumps(errors)
    assert stock_of(session, product) == 500 and reservations(session) == []


def test_batch_item_with_a_bad_reservation_is_only_that_items_error(session, leader):
    product = create(session, leader, stock=10)["id"]
    answers = reserve_batch(
        session,
        batch_item("order-1", (product, 1)),
        batch_item("order-2", (product, 0), colour="red"),
        batch_item("order-3", (product, 2)),
    )
    with pytest.raises(Invalid) as raised:
        value_of(answers[1])
    assert {"items", "colour"} <= set(raised.value.extra["errors"])
    assert value_of(answers[0])["lines"] and value_of(answers[2])["lines"]
    assert stock_of(session, product) == 7


def test_batch_item_failing_unexpectedly_is_unavailable_and_the_rest_go_on(
    session, leader, monkeypatch, caplog
):
    product = create(session, leader, stock=10)["id"]
    reserve_stock = handlers.reserve_stock

    def broken_for_order_2(session, caller, payload):
        if payload["reservation_key"] == "order-2":
            reserve_stock(
                session, caller, payload
            )  # takes stock, then fails: it must be rolled back
            raise RuntimeError("disk on fire")
        return reserve_stock(session, caller, payload)

    monkeypatch.setattr(handlers, "reserve_stock", broken_for_order_2)
    answers = reserve_batch(session, *(batch_item(f"order-{i}", (product, 1)) for i in (1, 2, 3)))
    with pytest.raises(ServiceUnavailable):
        value_of(answers[1])
    assert value_of(answers[0])["lines"] and value_of(answers[2])["lines"]
    assert stock_of(session, product) == 8
    assert "disk on fire" in caplog.text


def test_cursor_without_offset_is_invalid_not_a_crash(session, leader):
    create(session, leader)
    with pytest.raises(Invalid), session.begin():
        handlers.list_products(
            session, leader, {"cursor": encode_cursor(["2026-11-24T10:00:00", "x"])}
        )
