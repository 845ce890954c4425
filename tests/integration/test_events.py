"""Events between services: the outbox relay, the idempotent inbox, and parking of poison."""

import functools
import uuid
from datetime import UTC, datetime
from unittest import mock

import eventlet
import pytest
from kombu.exceptions import OperationalError
from sqlalchemy.orm import Session

from services.crm import handlers as crm_handlers
from services.infra.messaging import EventInbox, OutboxRelay, emit

pytestmark = pytest.mark.integration

# Each example event has exactly one consumer in the service started, so counts stay exact.
CRM_CONSUMER = "services.crm.handlers:record_product"
FULFILLMENT_CONSUMER = "services.fulfillment.handlers:record_order_paid"


def order_paid_data(member_id="m" * 8, quantity=1, unit_price_cents=990):
    """``orders.order_paid``: the order's facts and the payment (services/orders/lifecycle.py)."""
    now = datetime.now(UTC).isoformat()
    return {
        "order_id": uuid.uuid4().hex,
        "member_id": member_id,
        "channel": {"type": "shop", "id": None},
        "lines": [
            {
                "product_id": uuid.uuid4().hex,
                "name": "Peaches",
                "quantity": quantity,
                "unit_price_cents": unit_price_cents,
            }
        ],
        "total_cents": quantity * unit_price_cents,
        "placed_at": now,
        "payment_method": "offline",
        "paid_at": now,
    }


def product_data(name="Peaches", price_cents=990):
    """``catalog.product_created``, as catalog emits it."""
    return {
        "product_id": uuid.uuid4().hex,
        "name": name,
        "category": "fruit",
        "tags": [],
        "price_cents": price_cents,
        "in_stock": True,
        "on_sale": True,
    }


def envelope(data, tenant_id="tenant-a", event_type="product_created"):
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "tenant_id": tenant_id,
        "correlation_id": None,
        "data": data,
    }


def write_outbox(stack, service, datas, tenant_id="tenant-a"):
    with Session(stack.engine(service)) as session, session.begin():
        return [emit(session, "order_paid", data, tenant_id=tenant_id) for data in datas]


def count(stack, service, table, **where):
    clause = " AND ".join(f"{column} = :{column}" for column in where) or "1 = 1"
    return stack.scalar(service, f"SELECT count(*) FROM {table} WHERE {clause}", **where)


def find(container, cls):
    return next(dep for dep in container.dependencies if isinstance(dep, cls))


def test_outbox_survives_broker_outage_and_republishes(stack):
    stack.declare_queues()
    # Committed while orders (or the broker) was down: nobody has published these yet.
    datas = [order_paid_data() for _ in range(3)]
    write_outbox(stack, "orders", datas)
    assert count(stack, "orders", "outbox") == 3

    stack.start("fulfillment", "orders")
    stack.wait_for(
        lambda: count(stack, "fulfillment", "fulfillment_orders") == 3,
        timeout=10,
        message="fulfillment to record the three leftover events",
    )
    stack.wait_for(
        lambda: (
            count(stack, "orders", "outbox") == 3
            and stack.scalar("orders", "SELECT count(*) FROM outbox WHERE published_at IS NULL")
            == 0
        ),
        timeout=5,
        message="the outbox to be marked published",
    )
    assert stack.scalar("orders", "SELECT max(attempts) FROM outbox") == 1

    # The broker goes away while orders runs: publishing fails, the row stays unsent...
    relay = find(stack.containers["orders"], OutboxRelay)
    late = order_paid_data()
    with mock.patch.object(
        relay.publisher, "publish_batch", side_effect=OperationalError("broker down")
    ) as publish:
        write_outbox(stack, "orders", [late])
        stack.wait_for(lambda: publish.called, timeout=5, message="the relay to try publishing")
        assert stack.scalar("orders", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 1
    # ... and once it is back, the relay publishes it again by itself.
    stack.wait_for(
        lambda: count(stack, "fulfillment", "fulfillment_orders", order_id=late["order_id"]) == 1,
        timeout=15,
        message="the relay to re-publish after the outage",
    )
    assert stack.scalar("orders", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0

    # Each event was handled exactly once, and each order is now to be packed.
    assert count(stack, "fulfillment", "fulfillment_orders") == 4
    assert count(stack, "fulfillment", "fulfillment_orders", status="to_pack") == 4
    assert count(stack, "fulfillment", "inbox", consumer=FULFILLMENT_CONSUMER) == 4
    assert count(stack, "fulfillment", "parked_events") == 0


def test_duplicate_delivery_has_one_effect(stack):
    stack.declare_queues()
    stack.start("crm")

    calls = []
    outcomes = []
    original_handler = crm_handlers.record_product
    original_consume = EventInbox.consume

    @functools.wraps(original_handler)
    def counting_handler(session, event):
        calls.append(event["event_id"])
        return original_handler(session, event)

    def recording_consume(self, payload, handler):
        outcome = original_consume(self, payload, handler)
        outcomes.append(outcome)
        return outcome

    event = envelope(product_data(name="Duplicated peaches", price_cents=500))
    product_id = event["data"]["product_id"]
    with (
        mock.patch.object(crm_handlers, "record_product", counting_handler),
        mock.patch.object(EventInbox, "consume", recording_consume),
    ):
        stack.dispatch("catalog", "product_created", event)
        stack.wait_for(lambda: outcomes == ["processed"], timeout=10, message="the first delivery")
        stack.dispatch("catalog", "product_created", event)  # redelivery of the very same envelope
        stack.wait_for(lambda: len(outcomes) == 2, timeout=10, message="the second delivery")

    assert outcomes == ["processed", "duplicate"]
    assert calls == [event["event_id"]]
    assert count(stack, "crm", "product_infos", name="Duplicated peaches") == 1
    assert (
        stack.scalar(
            "crm",
            "SELECT price_cents FROM product_infos WHERE product_id = :product_id",
            product_id=product_id,
        )
        == 500
    )
    assert count(stack, "crm", "inbox", event_id=event["event_id"]) == 1
    assert count(stack, "crm", "parked_events") == 0


def test_poison_events_parked(stack):
    stack.declare_queues()
    stack.start("crm")

    good = [envelope(product_data(name="Good peaches")) for _ in range(2)]
    missing_id = product_data(name="Fixed peaches")
    del missing_id["product_id"]
    bad_data = envelope(missing_id)
    not_an_envelope = "this is not an event"
    no_event_id = {k: v for k, v in envelope(product_data()).items() if k != "event_id"}

    for payload in (good[0], not_an_envelope, bad_data, no_event_id, good[1]):
        stack.dispatch("catalog", "product_created", payload)

    stack.wait_for(
        lambda: count(stack, "crm", "product_infos", name="Good peaches") == 2,
        timeout=10,
        message="the good events",
    )
    parked = stack.wait_for(
        lambda: (
            (rows := stack.rpc("crm", "list_parked_events", status="parked"))
            and len(rows) == 3
            and rows
        ),
        timeout=10,
        message="three parked events",
    )
    assert {row["consumer"] for row in parked} == {CRM_CONSUMER}
    assert {row["status"] for row in parked} == {"parked"}
    payloads = [row["payload"] for row in parked]
    assert not_an_envelope in payloads and bad_data in payloads and no_event_id in payloads
    assert stack.rpc("crm", "list_parked_events", status="retrying") == []
    assert count(stack, "crm", "product_infos", name="Fixed peaches") == 0
    # No hot loop: parked poison is neither redelivered nor retried while nobody replays it.
    attempts = {row["id"]: row["attempts"] for row in parked}
    eventlet.sleep(3)
    again = stack.rpc("crm", "list_parked_events", status="parked")
    assert {row["id"]: row["attempts"] for row in again} == attempts
    assert all(row["next_attempt_at"] is None for row in again)

    # The operator corrects the payload and replays it: it is processed, and resolved.
    row = next(row for row in parked if row["event_id"] == bad_data["event_id"])
    corrected = {**bad_data, "data": {**bad_data["data"], "product_id": uuid.uuid4().hex}}
    assert (
        stack.rpc("crm", "replay_parked_event", row["id"], payload=corrected)["status"]
        == "retrying"
    )
    stack.wait_for(
        lambda: count(stack, "crm", "product_infos", name="Fixed peaches") == 1,
        timeout=10,
        message="the replayed event to be processed",
    )
    stack.wait_for(
        lambda: (
            next(r for r in stack.rpc("crm", "list_parked_events") if r["id"] == row["id"])[
                "status"
            ]
            == "resolved"
        ),
        timeout=5,
        message="the parked row to be resolved",
    )
    assert count(stack, "crm", "inbox", event_id=bad_data["event_id"]) == 1
    assert len(stack.rpc("crm", "list_parked_events", status="parked")) == 2


def test_the_queue_of_a_retired_handler_is_deleted_at_start(stack):
    """crm no longer listens to order_placed: the queue its old handler left behind would
    collect every such event forever, with nobody reading it."""
    from amqp.exceptions import NotFound
    from kombu import Connection, Queue
    from nameko.events import get_event_exchange

    name = "evt-orders-order_placed--crm.on_order_placed"
    with Connection(stack.amqp_uri) as connection:
        exchange = get_event_exchange("orders", {})
        Queue(name, exchange, routing_key="order_placed", durable=True)(
            connection.channel()
        ).declare()
    stack.start("crm")
    with Connection(stack.amqp_uri) as connection, pytest.raises(NotFound):
        connection.channel().queue_declare(name, passive=True)
