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

CRM_CONSUMER = "services.crm.handlers:record_order_placed"
FULFILLMENT_CONSUMER = "services.fulfillment.handlers:record_order_placed"


def order_placed_data(member_id="m" * 8, quantity=1, unit_price_cents=990):
    return {
        "order_id": uuid.uuid4().hex,
        "member_id": member_id,
        "channel": {"type": "shop", "id": None},
        "lines": [{"product_id": uuid.uuid4().hex, "name": "Peaches", "quantity": quantity,
                   "unit_price_cents": unit_price_cents}],
        "subtotal_cents": quantity * unit_price_cents,
        "discount_cents": 0,
        "total_cents": quantity * unit_price_cents,
        "placed_at": datetime.now(UTC).isoformat(),
    }


def envelope(data, tenant_id="tenant-a", event_type="order_placed"):
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
        return [emit(session, "order_placed", data, tenant_id=tenant_id) for data in datas]


def count(stack, service, table, **where):
    clause = " AND ".join(f"{column} = :{column}" for column in where) or "1 = 1"
    return stack.scalar(service, f"SELECT count(*) FROM {table} WHERE {clause}", **where)


def find(container, cls):
    return next(dep for dep in container.dependencies if isinstance(dep, cls))


def test_outbox_survives_broker_outage_and_republishes(stack):
    stack.declare_queues()
    # Committed while orders (or the broker) was down: nobody has published these yet.
    datas = [order_placed_data() for _ in range(3)]
    write_outbox(stack, "orders", datas)
    assert count(stack, "orders", "outbox") == 3

    stack.start("fulfillment", "orders")
    stack.wait_for(lambda: count(stack, "fulfillment", "fulfillment_orders") == 3,
                   timeout=10, message="fulfillment to record the three leftover events")
    stack.wait_for(lambda: count(stack, "orders", "outbox") == 3
                   and stack.scalar("orders", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0,
                   timeout=5, message="the outbox to be marked published")
    assert stack.scalar("orders", "SELECT max(attempts) FROM outbox") == 1

    # The broker goes away while orders runs: publishing fails, the row stays unsent...
    relay = find(stack.containers["orders"], OutboxRelay)
    late = order_placed_data()
    with mock.patch.object(relay.publisher, "publish", side_effect=OperationalError("broker down")) as publish:
        write_outbox(stack, "orders", [late])
        stack.wait_for(lambda: publish.called, timeout=5, message="the relay to try publishing")
        assert stack.scalar("orders", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 1
    # ... and once it is back, the relay publishes it again by itself.
    stack.wait_for(lambda: count(stack, "fulfillment", "fulfillment_orders", order_id=late["order_id"]) == 1,
                   timeout=15, message="the relay to re-publish after the outage")
    assert stack.scalar("orders", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0

    # Each event was handled exactly once.
    assert count(stack, "fulfillment", "fulfillment_orders") == 4
    assert count(stack, "fulfillment", "inbox", consumer=FULFILLMENT_CONSUMER) == 4
    assert count(stack, "fulfillment", "parked_events") == 0


def test_duplicate_delivery_has_one_effect(stack):
    stack.declare_queues()
    stack.start("crm")

    calls = []
    outcomes = []
    original_handler = crm_handlers.record_order_placed
    original_consume = EventInbox.consume

    @functools.wraps(original_handler)
    def counting_handler(session, event):
        calls.append(event["event_id"])
        return original_handler(session, event)

    def recording_consume(self, payload, handler):
        outcome = original_consume(self, payload, handler)
        outcomes.append(outcome)
        return outcome

    event = envelope(order_placed_data(member_id="member-dup", quantity=2, unit_price_cents=500))
    with mock.patch.object(crm_handlers, "record_order_placed", counting_handler), \
            mock.patch.object(EventInbox, "consume", recording_consume):
        stack.dispatch("orders", "order_placed", event)
        stack.wait_for(lambda: outcomes == ["processed"], timeout=10, message="the first delivery")
        stack.dispatch("orders", "order_placed", event)  # redelivery of the very same envelope
        stack.wait_for(lambda: len(outcomes) == 2, timeout=10, message="the second delivery")

    assert outcomes == ["processed", "duplicate"]
    assert calls == [event["event_id"]]
    assert count(stack, "crm", "purchases", member_id="member-dup") == 1
    assert stack.scalar("crm", "SELECT total_cents FROM purchases WHERE member_id = 'member-dup'") == 1000
    assert count(stack, "crm", "inbox", event_id=event["event_id"]) == 1
    assert count(stack, "crm", "parked_events") == 0


def test_poison_events_parked(stack):
    stack.declare_queues()
    stack.start("crm")

    good = [envelope(order_placed_data(member_id="member-ok")) for _ in range(2)]
    missing_total = order_placed_data(member_id="member-fix")
    del missing_total["total_cents"]
    bad_data = envelope(missing_total)
    not_an_envelope = "this is not an event"
    no_event_id = {k: v for k, v in envelope(order_placed_data()).items() if k != "event_id"}

    for payload in (good[0], not_an_envelope, bad_data, no_event_id, good[1]):
        stack.dispatch("orders", "order_placed", payload)

    stack.wait_for(lambda: count(stack, "crm", "purchases", member_id="member-ok") == 2,
                   timeout=10, message="the good events")
    parked = stack.wait_for(
        lambda: (rows := stack.rpc("crm", "list_parked_events", status="parked")) and len(rows) == 3 and rows,
        timeout=10, message="three parked events",
    )
    assert {row["consumer"] for row in parked} == {CRM_CONSUMER}
    assert {row["status"] for row in parked} == {"parked"}
    payloads = [row["payload"] for row in parked]
    assert not_an_envelope in payloads and bad_data in payloads and no_event_id in payloads
    assert stack.rpc("crm", "list_parked_events", status="retrying") == []
    assert count(stack, "crm", "purchases", member_id="member-fix") == 0
    # No hot loop: parked poison is neither redelivered nor retried while nobody replays it.
    attempts = {row["id"]: row["attempts"] for row in parked}
    eventlet.sleep(3)
    again = stack.rpc("crm", "list_parked_events", status="parked")
    assert {row["id"]: row["attempts"] for row in again} == attempts
    assert all(row["next_attempt_at"] is None for row in again)

    # The operator corrects the payload and replays it: it is processed, and resolved.
    row = next(row for row in parked if row["event_id"] == bad_data["event_id"])
    corrected = {**bad_data, "data": {**bad_data["data"], "total_cents": 990}}
    assert stack.rpc("crm", "replay_parked_event", row["id"], payload=corrected)["status"] == "retrying"
    stack.wait_for(lambda: count(stack, "crm", "purchases", member_id="member-fix") == 1,
                   timeout=10, message="the replayed event to be processed")
    stack.wait_for(
        lambda: next(r for r in stack.rpc("crm", "list_parked_events") if r["id"] == row["id"])["status"]
        == "resolved",
        timeout=5, message="the parked row to be resolved",
    )
    assert count(stack, "crm", "inbox", event_id=bad_data["event_id"]) == 1
    assert len(stack.rpc("crm", "list_parked_events", status="parked")) == 2
