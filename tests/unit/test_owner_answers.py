"""The owners' real answers to what a service asks when its copy of their facts is behind:
orders' ``paid_orders_to_pack`` (read-only, scoped to the caller's community), and orders' and
catalog's answers recorded by fulfilment's ``copies`` exactly as the events would be."""

from datetime import timedelta

import pytest
from conftest import OTHER_TENANT, TENANT, FulfillmentCatalog

from services.catalog import handlers as catalog_handlers
from services.catalog import waves
from services.catalog.models import Base as CatalogBase
from services.fulfillment import copies
from services.fulfillment import handlers as fulfilment_handlers
from services.fulfillment.models import Base as FulfillmentBase
from services.fulfillment.models import FulfillmentOrder, FulfillmentWave
from services.infra.db import utcnow
from services.infra.errors import Forbidden, Invalid
from services.infra.messaging import OutboxMessage
from services.orders import handlers, lifecycle
from services.orders.models import Base, Order, OrderLine


@pytest.fixture
def session(make_session):
    return make_session(Base, "orders")


def order(
    session, order_id, status="paid", wave_id="wave-1", tenant_id=TENANT, channel_type="wave"
):
    with session.begin():
        row = Order(
            id=order_id,
            tenant_id=tenant_id,
            member_id="member-1",
            status="pending_payment",
            channel_type=channel_type,
            channel_id=wave_id if channel_type == "wave" else None,
            subtotal_cents=1380,
            total_cents=1380,
            expires_at=utcnow() + timedelta(minutes=30),
        )
        row.lines.append(
            OrderLine(
                position=0,
                product_id="peach",
                name="水蜜桃",
                unit="斤",
                unit_price_cents=690,
                quantity=2,
            )
        )
        session.add(row)
        session.flush()
        if status != "pending_payment":
            lifecycle.mark_paid(session, row, "leader:account-1", "offline")
        if status not in ("pending_payment", "paid"):
            lifecycle.transition(session, row, status, "system:fulfillment")


def test_the_staff_get_the_waves_paid_orders_of_their_community_only(session, caller):
    order(session, "o1")
    order(session, "o2")
    order(session, "unpaid", status="pending_payment")
    order(session, "packed", status="packed")
    order(session, "other-wave", wave_id="wave-2")
    order(session, "shop", channel_type="shop")
    order(session, "elsewhere", tenant_id=OTHER_TENANT)
    with session.begin():
        answer = handlers.paid_orders_to_pack(session, caller("staff"), {"wave_id": "wave-1"})
    assert [o["id"] for o in answer] == ["o1", "o2"]
    with session.begin():
        theirs = handlers.paid_orders_to_pack(
            session, caller("leader", tenant_id=OTHER_TENANT), {"wave_id": "wave-1"}
        )
        assert [o["id"] for o in theirs] == ["elsewhere"]
        with pytest.raises(Forbidden):
            handlers.paid_orders_to_pack(session, caller("member"), {"wave_id": "wave-1"})


def test_fulfilment_records_orders_answer_as_order_paid_would(session, caller, make_session):
    order(session, "o1")
    with session.begin():
        (answer,) = handlers.paid_orders_to_pack(session, caller("leader"), {"wave_id": "wave-1"})
        paid_at = session.get(Order, "o1").updated_at
    fulfilment = make_session(FulfillmentBase, "fulfillment")
    with fulfilment.begin():
        copies.record_paid(fulfilment, TENANT, answer)
    with fulfilment.begin():
        row = fulfilment.get(FulfillmentOrder, "o1")
        recorded = (
            row.tenant_id,
            row.member_id,
            row.status,
            row.channel_type,
            row.channel_id,
            row.items,
            row.total_quantity,
            row.total_cents,
            row.paid_at,
        )
    assert recorded == (
        TENANT,
        "member-1",
        "to_pack",
        "wave",
        "wave-1",
        [{"product_id": "peach", "name": "水蜜桃", "quantity": 2}],
        2,
        1380,
        paid_at,
    )


def test_fulfilment_records_catalogs_closed_wave_as_wave_closed_would(make_session, caller):
    """``catalog.get_wave``'s real answer, through fulfilment's ``Catalog`` wrapper, gives the
    same copy as the ``wave_closed`` event of the same close."""
    leader = caller("leader")
    catalog = make_session(CatalogBase, "catalog")
    with catalog.begin():
        product_id = catalog_handlers.create_product(
            catalog, leader, {"name": "水蜜桃", "price_cents": 690, "stock": 10, "unit": "斤"}
        )["id"]
        wave = waves.create_wave(
            catalog,
            leader,
            {
                "title": "本周水蜜桃团",
                "cutoff_at": (utcnow() + timedelta(days=1)).isoformat(),
                "pickup_at": (utcnow() + timedelta(days=2)).isoformat(),
                "pickup_point": "3栋楼下",
                "packing_note": "轻拿轻放",
                "items": [{"product_id": product_id, "price_cents": 690}],
            },
        )
    with catalog.begin():
        waves.close_wave(catalog, leader, wave["id"])
    with catalog.begin():
        answer = waves.get_wave(catalog, leader, wave["id"])
        (event,) = [
            row.payload for row in catalog.query(OutboxMessage) if row.event_type == "wave_closed"
        ]

    def copy_of(record):
        fulfilment = make_session(FulfillmentBase, f"fulfillment-{record}")
        with fulfilment.begin():
            if record == "answer":
                copies.closed_wave(fulfilment, FulfillmentCatalog(answer), TENANT, wave["id"])
            else:
                fulfilment_handlers.record_wave_closed(fulfilment, event)
        with fulfilment.begin():
            row = fulfilment.get(FulfillmentWave, wave["id"])
            return (
                row.tenant_id,
                row.title,
                row.pickup_at,
                row.pickup_point,
                row.packing_note,
                row.units,
            )

    assert copy_of("answer") == copy_of("event")
    assert copy_of("answer")[-2:] == ("轻拿轻放", {product_id: "斤"})


def test_the_paid_orders_outside_waves_of_a_period_by_when_they_were_first_paid(session, caller):
    order(session, "s1", channel_type="shop")
    order(session, "w1")
    order(session, "unpaid", status="pending_payment", channel_type="shop")
    order(session, "elsewhere", tenant_id=OTHER_TENANT, channel_type="shop")
    now = utcnow()

    def between(start, end, who=None):
        with session.begin():
            return [
                o["id"]
                for o in handlers.paid_orders_to_pack(
                    session,
                    who or caller("leader"),
                    {"paid_from": start.isoformat(), "paid_to": end.isoformat()},
                )
            ]

    assert between(now - timedelta(hours=1), now + timedelta(hours=1)) == ["s1"]
    assert between(now + timedelta(hours=1), now + timedelta(hours=2)) == []
    assert between(
        now - timedelta(hours=1), now + timedelta(hours=1), caller("leader", tenant_id=OTHER_TENANT)
    ) == ["elsewhere"]
    for bad in (
        {},
        {"wave_id": "w", "paid_from": now.isoformat(), "paid_to": now.isoformat()},
        {"paid_from": now.isoformat()},
        {"paid_from": "yesterday", "paid_to": now.isoformat()},
        {"wave_id": "x" * 33},
        {"wave_id": "w", "status": "packed"},
    ):
        with pytest.raises(Invalid), session.begin():
            handlers.paid_orders_to_pack(session, caller("leader"), bad)
