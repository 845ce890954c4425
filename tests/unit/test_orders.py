"""Placing and reading orders, with catalog and crm faked (tests/unit/fakes.py)."""

import copy

import pytest
from conftest import CatalogInProcess, FakeCatalog, FakeCrm

from services.catalog import handlers as catalog_handlers
from services.catalog.models import Base as CatalogBase
from services.infra.errors import Conflict, Forbidden, Invalid, NotFound, ServiceUnavailable
from services.infra.messaging import ENVELOPE, OutboxMessage
from services.orders import handlers
from services.orders.models import Base, IdempotencyKey, Order

BODY = {"items": [{"product_id": "apple", "quantity": 3}, {"product_id": "milk", "quantity": 2}]}


@pytest.fixture
def session(make_session):
    return make_session(Base, "orders")


@pytest.fixture
def member(caller):
    return caller("member", member_id="member-1")


def place(session, caller, payload=BODY, key=None, catalog=None):
    return handlers.place_order(session, catalog or FakeCatalog(), FakeCrm(), caller, payload, key)


def rows(session, model):
    with session.begin():
        return session.query(model).all()


def test_place_order_totals_in_fen(session, member):
    catalog = FakeCatalog()
    order = place(session, member, catalog=catalog)
    assert order["status"] == "pending_payment"
    assert order["subtotal_cents"] == 3 * 350 + 2 * 1299 == order["total_cents"]
    assert order["discount_cents"] == 0
    assert all(isinstance(order[k], int) for k in ("subtotal_cents", "total_cents"))
    assert [
        (line["product_id"], line["quantity"], line["unit_price_cents"]) for line in order["lines"]
    ] == [("apple", 3, 350), ("milk", 2, 1299)]
    assert order["member_id"] == "member-1"
    assert order["channel"] == {"type": "shop", "id": None}
    assert [entry["status"] for entry in order["timeline"]] == ["pending_payment"]
    assert catalog.reserved == [
        {
            "reservation_key": order["id"],
            "items": BODY["items"],
            "channel": {"type": "shop", "id": None},
        }
    ]
    assert catalog.released == []


def test_order_placed_is_in_the_outbox(session, member):
    order = place(session, member)
    (message,) = rows(session, OutboxMessage)
    assert message.event_type == "order_placed" and message.published_at is None
    envelope = message.payload
    assert set(envelope) == {
        "event_id",
        "event_type",
        "version",
        "occurred_at",
        "tenant_id",
        "correlation_id",
        "data",
    }
    assert ENVELOPE.load(envelope)["event_id"] == message.event_id
    assert envelope["tenant_id"] == "tenant-a" and envelope["correlation_id"] == "corr-1"
    data = envelope["data"]
    assert data["order_id"] == order["id"] and data["member_id"] == "member-1"
    assert data["total_cents"] == order["total_cents"]
    assert data["lines"][0] == {
        "product_id": "apple",
        "name": "Apples",
        "quantity": 3,
        "unit_price_cents": 350,
    }


def test_same_idempotency_key_and_body_give_the_same_order(session, member):
    catalog = FakeCatalog()
    first = place(session, member, key="key-1", catalog=catalog)
    again = place(session, member, payload=copy.deepcopy(BODY), key="key-1", catalog=catalog)
    assert again["id"] == first["id"]
    assert len(rows(session, Order)) == 1 and len(rows(session, OutboxMessage)) == 1
    assert len(rows(session, IdempotencyKey)) == 1
    # The order exists, so the retry does not even need catalog.
    assert [call["reservation_key"] for call in catalog.reserved] == [first["id"]]


def test_retry_after_a_lost_answer_reserves_with_the_same_key(session, member, monkeypatch):
    catalog = FakeCatalog()
    # First try: catalog reserved, then writing the order failed (say the process died).
    monkeypatch.setattr(handlers, "_abandon_quietly", lambda *args: None)
    with monkeypatch.context() as patch:
        patch.setattr(handlers, "_new_order", _boom)
        with pytest.raises(ServiceUnavailable):
            place(session, member, key="key-1", catalog=catalog)
    order = place(session, member, key="key-1", catalog=catalog)
    assert [call["reservation_key"] for call in catalog.reserved] == [order["id"], order["id"]]


def test_same_key_with_another_body_is_a_conflict(session, member):
    place(session, member, key="key-1")
    other = {"items": [{"product_id": "apple", "quantity": 4}]}
    with pytest.raises(Conflict) as raised:
        place(session, member, payload=other, key="key-1")
    assert raised.value.extra == {"reason": "idempotency_key_reused"}
    assert len(rows(session, Order)) == 1


def test_keys_are_per_member(session, caller):
    first = place(session, caller("member", member_id="member-1"), key="key-1")
    second = place(session, caller("member", member_id="member-2"), key="key-1")
    assert first["id"] != second["id"]


def test_short_stock_leaves_no_order_and_no_event(session, member):
    catalog = FakeCatalog(
        refuse=Conflict("Not enough stock.", {"product_id": "milk", "available": 1})
    )
    with pytest.raises(Conflict):
        place(session, member, key="key-1", catalog=catalog)
    assert rows(session, Order) == [] and rows(session, OutboxMessage) == []
    assert catalog.released == []


def _boom(*args, **kwargs):
    raise RuntimeError("database went away")

    """An unexpected fault answers 503 (try again), and what was reserved is given back."""


def test_failed_write_releases_the_reservation(session, member, monkeypatch):
    catalog = FakeCatalog()
    monkeypatch.setattr(handlers, "_new_order", _boom)
    with pytest.raises(ServiceUnavailable):
        place(session, member, catalog=catalog)
    assert catalog.released == [catalog.reserved[0]["reservation_key"]]
    assert rows(session, Order) == [] and rows(session, OutboxMessage) == []


@pytest.mark.parametrize(
    "payload",
    [
        {"items": []},
        {"items": [{"product_id": "apple", "quantity": True}]},
        {"items": [{"product_id": "apple", "quantity": 0}]},
        {"items": [{"product_id": "apple", "quantity": 1}], "total_cents": 1},
    ],
)
def test_invalid_order_input(session, member, payload):
    catalog = FakeCatalog()
    with pytest.raises(Invalid):
        place(session, member, payload=payload, catalog=catalog)
    assert catalog.reserved == []


def test_only_members_place_orders(session, caller):
    with pytest.raises(Forbidden):
        place(session, caller("leader"))


def test_get_order_visibility(session, member, caller):
    order = place(session, member)
    with session.begin():
        assert handlers.get_order(session, member, order["id"])["id"] == order["id"]
        assert handlers.get_order(session, caller("staff"), order["id"])["id"] == order["id"]
        assert handlers.get_order(session, caller("leader"), order["id"])["id"] == order["id"]
    for stranger in (
        caller("member", member_id="member-2"),
        caller("leader", tenant_id="tenant-b"),
        caller("member", tenant_id="tenant-b", member_id="member-1"),
    ):
        with pytest.raises(NotFound), session.begin():
            handlers.get_order(session, stranger, order["id"])


def test_list_orders_filters(session, caller):
    mine = [place(session, caller("member", member_id="member-1"))["id"] for _ in range(3)]
    theirs = place(session, caller("member", member_id="member-2"))["id"]
    place(session, caller("member", tenant_id="tenant-b", member_id="member-1"))
    leader = caller("leader")

    def listed(who, query):
        with session.begin():
            return handlers.list_orders(session, who, query)

    assert [o["id"] for o in listed(caller("member", member_id="member-1"), {})["items"]] == mine[
        ::-1
    ]
    assert len(listed(leader, {})["items"]) == 4
    assert [o["id"] for o in listed(leader, {"member_id": "member-2"})["items"]] == [theirs]
    assert listed(leader, {"status": "paid"})["items"] == []
    assert len(listed(leader, {"status": "pending_payment"})["items"]) == 4
    # A member cannot widen the list to someone else's orders.
    assert {
        o["member_id"]
        for o in listed(caller("member", member_id="member-1"), {"member_id": "member-2"})["items"]
    } <= {"member-1"}

    first = listed(leader, {"limit": 3})
    rest = listed(leader, {"limit": 3, "cursor": first["next_cursor"]})
    assert rest["next_cursor"] is None
    assert [o["id"] for o in first["items"] + rest["items"]] == [theirs] + mine[::-1]

    with pytest.raises(Invalid):
        listed(leader, {"status": "lost"})


def test_retry_with_the_same_key_after_a_failed_write_succeeds(
    session, make_session, member, caller, monkeypatch
):
    catalog_session = make_session(CatalogBase, "catalog")
    with catalog_session.begin():
        product = catalog_handlers.create_product(
            catalog_session, caller("leader"), {"name": "Apples", "price_cents": 350, "stock": 10}
        )
    catalog = CatalogInProcess(catalog_session, member)
    body = {"items": [{"product_id": product["id"], "quantity": 2}]}
    with monkeypatch.context() as patch:
        patch.setattr(handlers, "_new_order", _boom)
        with pytest.raises(ServiceUnavailable):
            place(session, member, payload=body, key="key-1", catalog=catalog)
    order = place(session, member, payload=body, key="key-1", catalog=catalog)  # the client retries
    assert order["total_cents"] == 700
