"""Races between processes (issue 17): every state change of an order, payment, refund,
reservation, pickup code and after-sale case holds when two processes make it at once.

Each race is run many times at once, from greenlets on two engines standing for two processes
(psycogreen makes psycopg2 cooperative, so their transactions truly interleave on PostgreSQL and
wait for each other's row locks); then the final state is checked, never the timing. On SQLite
(one writer, one pooled connection per process) both sides share one engine: the same races
run, serialised, and the same end states must hold. ``LINLI_TEST_DB=postgres`` is where they
bite; ``test_paid_or_cancelled_never_both`` drives the real services (two orders and two catalog
containers on PostgreSQL) over HTTP.
"""

import json
import os
import time
import uuid
from collections import Counter, defaultdict
from datetime import timedelta

import eventlet
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import sessionmaker

from services.catalog import handlers as catalog
from services.catalog.models import Base as CatalogBase
from services.catalog.models import Product, StockReservation
from services.fulfillment import after_sales
from services.fulfillment import handlers as fulfillment
from services.fulfillment.models import AfterSaleCase, Compensation, FulfillmentOrder
from services.infra.context import Caller
from services.infra.db import make_engine, utcnow
from services.infra.errors import Conflict, DomainError
from services.infra.messaging import OutboxMessage
from services.infra.migrations import upgrade
from services.orders import fulfilment_events, handlers, payments
from services.orders.models import (
    Order,
    OrderStatusChange,
    Payment,
    Refund,
    SandboxCharge,
    SandboxNotification,
)

pytestmark = pytest.mark.integration

POSTGRES = os.environ.get("LINLI_TEST_DB", "sqlite") == "postgres"
ATTEMPTS = 120  # races per test
SECRET = "races-webhook-secret-0123456789abcdef"
PROVIDERS = {
    "offline": payments.OfflineProvider(),
    "sandbox": payments.SandboxProvider("http://linli.test", 0),
}
PRICE = 1290

assert CatalogBase  # the catalog's tables come from its migrations, like every service's


# --- two processes on one database ---------------------------------------------------------------


class Processes:
    """Two session factories on one service's database: two engines (two pools, as two
    processes have) on PostgreSQL; one on SQLite, whose writers queue for its one connection."""

    def __init__(self, databases):
        self.databases = databases
        self.engines = []

    def of(self, service):
        url = self.databases.create(service)
        upgrade(service, url)
        engines = [make_engine(url, green=True) for _ in range(2 if POSTGRES else 1)]
        self.engines += engines
        makers = [sessionmaker(engine, expire_on_commit=False) for engine in engines]
        return makers[0], makers[-1]

    def dispose(self):
        for engine in self.engines:
            engine.dispose()


@pytest.fixture
def processes(databases):
    processes = Processes(databases)
    yield processes.of
    processes.dispose()


def in_tx(Session, use_case, *args):
    """``use_case(session, *args)`` in a transaction of its own, as an entrypoint runs it."""
    with Session() as session, session.begin():
        return use_case(session, *args)


def own_tx(Session, use_case, *args):
    """A use case that manages its own transactions (``verify_pickup``, ``resolve_case``)."""
    with Session() as session:
        return use_case(session, *args)


def at_once(calls, size=40):
    """Run every call concurrently (``size`` at a time): each one's value, or the ``DomainError``
    it answered with. Anything else (a deadlock, a unique-key collision) fails the test."""

    def run(call):
        try:
            return call()
        except DomainError as exc:
            return exc

    return list(eventlet.GreenPool(size).imap(run, calls))


def pairs(first, second, items):
    """``[first(item), second(item), ...]`` interleaved: the two sides of each race start
    together."""
    calls = []
    for item in items:
        calls += [lambda item=item: first(item), lambda item=item: second(item)]
    return calls


def events(Session, event_type):
    """The outbox's ``event_type`` events, by the order (or case) they name."""
    with Session() as session:
        found = defaultdict(list)
        for message in session.scalars(
            select(OutboxMessage).where(OutboxMessage.event_type == event_type)
        ):
            data = message.payload["data"]
            found[data.get("order_id") if "case_id" not in data else data["case_id"]].append(data)
        return found


def reason(outcome):
    return outcome.extra.get("reason") if isinstance(outcome, DomainError) else None


# --- orders -------------------------------------------------------------------------------------


class Shelf:
    """catalog, as orders' use cases call it, for races that are not about stock."""

    def reserve_stocks(self, requests):
        return [
            {
                "value": {
                    "reservation_key": request["reservation"]["reservation_key"],
                    "lines": [
                        {
                            "product_id": item["product_id"],
                            "name": "鸡蛋",
                            "unit": "盒",
                            "unit_price_cents": PRICE,
                            "quantity": item["quantity"],
                        }
                        for item in request["reservation"]["items"]
                    ],
                }
            }
            for request in requests
        ]

    def release_stock(self, key):
        return {"reservation_key": key, "released": True}


class NoDiscounts:
    def apply_checkout(self, payload):
        subtotal = payload["subtotal_cents"]
        return {
            "tier_discount_cents": 0,
            "coupon_id": None,
            "coupon_discount_cents": 0,
            "points_used": 0,
            "points_discount_cents": 0,
            "discount_cents": 0,
            "total_cents": subtotal,
        }

    def release_checkout(self, order_id):
        return {"order_id": order_id, "status": "released"}


def community():
    tenant = uuid.uuid4().hex
    leader = Caller(tenant_id=tenant, account_id="leader-1", role="leader", correlation_id="races")
    return tenant, leader


def member_of(tenant, index):
    return Caller(
        tenant_id=tenant, account_id=f"m{index}", member_id=f"member-{index}", role="member"
    )


def place(Session, tenant, count=ATTEMPTS):
    """``count`` pending orders of two units each, one member each: ``[(order_id, member)]``."""
    placed = []
    for index in range(count):
        member = member_of(tenant, index)
        with Session() as session:
            order = handlers.place_order(
                session,
                Shelf(),
                NoDiscounts(),
                member,
                {"items": [{"product_id": "eggs", "quantity": 2}]},
            )
        placed.append((order["id"], member))
    return placed


def pay_all(Session, leader, placed):
    for order_id, _ in placed:
        in_tx(Session, payments.mark_paid_offline, leader, PROVIDERS, order_id)


def orders_by_id(Session):
    with Session() as session:
        return {order.id: order for order in session.scalars(select(Order))}


def money(Session):
    """Per order: paid in (succeeded or refunded payments) and given back (refund rows); and
    every payment whose ``refunded_cents`` is not the sum of its refunds."""
    with Session() as session:
        paid_in, back, per_payment = Counter(), Counter(), Counter()
        for refund in session.scalars(select(Refund)):
            back[refund.order_id] += refund.amount_cents
            per_payment[refund.payment_id] += refund.amount_cents
        payments_ = session.scalars(select(Payment)).all()
        for payment in payments_:
            if payment.status in ("succeeded", "refunded"):
                paid_in[payment.order_id] += payment.amount_cents
        off = [
            (p.id, p.refunded_cents, per_payment[p.id])
            for p in payments_
            if p.refunded_cents != per_payment[p.id]
        ]
        return paid_in, back, off


def timeline(Session, order_id):
    with Session() as session:
        return [
            change.status
            for change in session.scalars(
                select(OrderStatusChange)
                .where(OrderStatusChange.order_id == order_id)
                .order_by(OrderStatusChange.id)
            )
        ]


def test_mark_paid_against_cancel(processes):
    """The leader marks each order paid while its member cancels it: each order ends paid
    (announced paid, never cancelled) or cancelled (announced once, its money back if it was
    paid)."""
    A, B = processes("orders")
    tenant, leader = community()
    placed = place(A, tenant)

    outcomes = at_once(
        pairs(
            lambda p: in_tx(A, payments.mark_paid_offline, leader, PROVIDERS, p[0]),
            lambda p: in_tx(B, payments.cancel_order, p[1], PROVIDERS, p[0]),
            placed,
        )
    )

    orders = orders_by_id(A)
    paid_events, cancelled_events = events(A, "order_paid"), events(A, "order_cancelled")
    paid_in, back, off = money(A)
    assert not off
    for (order_id, _), marked, cancelled in zip(
        placed, outcomes[0::2], outcomes[1::2], strict=True
    ):
        order = orders[order_id]
        assert order.status in ("paid", "cancelled")
        assert len(paid_events[order_id]) <= 1 and len(cancelled_events[order_id]) <= 1
        if order.status == "paid":  # the cancel came second and was refused
            assert reason(cancelled) == "wrong_state" and not cancelled_events[order_id]
            assert paid_in[order_id] == order.total_cents and back[order_id] == 0
            assert timeline(A, order_id) == ["pending_payment", "paid"]
        else:
            assert cancelled == {"order_id": order_id, "status": "cancelled"}
            assert len(cancelled_events[order_id]) == 1
            assert paid_in[order_id] == back[order_id]  # nothing kept
            if isinstance(marked, DomainError):  # cancelled first: never paid
                assert (
                    reason(marked) == "wrong_state"
                    and not paid_events[order_id]
                    and paid_in[order_id] == 0
                )
                assert timeline(A, order_id) == ["pending_payment", "cancelled"]
            else:
                assert paid_in[order_id] == order.total_cents
                assert timeline(A, order_id) == ["pending_payment", "paid", "cancelled"]


def overdue(Session, placed):
    with Session() as session, session.begin():
        session.execute(
            update(Order)
            .where(Order.id.in_([order_id for order_id, _ in placed]))
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )


def test_timers_in_every_process_expire_each_order_once(processes):
    A, B = processes("orders")
    tenant, _ = community()
    placed = place(A, tenant)
    overdue(A, placed)

    counts = at_once(
        [lambda Session=Session: in_tx(Session, payments.expire_unpaid) for Session in (A, B, A, B)]
    )

    assert sum(counts) == ATTEMPTS
    cancelled = events(A, "order_cancelled")
    assert all(order.status == "cancelled" for order in orders_by_id(A).values())
    assert all(len(cancelled[order_id]) == 1 for order_id, _ in placed)
    assert all(timeline(A, order_id).count("cancelled") == 1 for order_id, _ in placed)


def webhook(Session, charge_id, amount_cents):
    body = json.dumps(
        {
            "notification_id": uuid.uuid4().hex,
            "charge_id": charge_id,
            "status": "succeeded",
            "amount_cents": amount_cents,
        }
    )
    timestamp = str(int(time.time()))
    return in_tx(
        Session,
        payments.receive_sandbox_webhook,
        PROVIDERS,
        SECRET,
        timestamp,
        payments.sign(SECRET, timestamp, body),
        body,
    )


def test_payment_webhook_against_the_unpaid_timeout(processes):
    """The member's payment lands as the order times out: paid, or cancelled with the money back."""
    A, B = processes("orders")
    tenant, _ = community()
    placed = place(A, tenant)
    charges = {}
    for order_id, member in placed:
        started = in_tx(
            A, payments.start_payment, member, PROVIDERS, order_id, {"method": "sandbox"}
        )
        charges[order_id] = started["payment"]["pay_url"].rsplit("/", 1)[1]
    overdue(A, placed)
    totals = {order_id: order.total_cents for order_id, order in orders_by_id(A).items()}

    calls = [
        lambda order_id=order_id: webhook(B, charges[order_id], totals[order_id])
        for order_id, _ in placed
    ]
    calls[::30] = [
        lambda Session=Session: in_tx(Session, payments.expire_unpaid) for Session in (A, B, A, B)
    ]
    calls += [
        lambda order_id=order_id: webhook(B, charges[order_id], totals[order_id])
        for order_id, _ in placed[::30]
    ]  # the webhooks the timers took the place of
    outcomes = at_once(calls)
    assert all(
        isinstance(outcome, int) or outcome["status"] in ("paid", "refunded")
        for outcome in outcomes
    ), outcomes

    orders = orders_by_id(A)
    paid_in, back, off = money(A)
    assert not off
    paid_events, cancelled_events = events(A, "order_paid"), events(A, "order_cancelled")
    for order_id, _ in placed:
        assert len(paid_events[order_id]) + len(cancelled_events[order_id]) == 1
        assert paid_in[order_id] == totals[order_id]  # every webhook was applied
        if orders[order_id].status == "paid":
            assert back[order_id] == 0 and paid_events[order_id]
        else:
            assert orders[order_id].status == "cancelled" and back[order_id] == totals[order_id]
    with A() as session:
        assert session.scalar(
            select(func.count())
            .select_from(SandboxCharge)
            .where(SandboxCharge.status == "refunded")
        ) == sum(order.status == "cancelled" for order in orders.values())
    assert sum(outcome for outcome in outcomes if isinstance(outcome, int)) == sum(
        order.status == "cancelled" for order in orders.values()
    )


def test_two_refunds_at_once_never_exceed_the_payment(processes):
    """Two leaders refund 60 % of each paid order at the same moment: one refund per order."""
    A, B = processes("orders")
    tenant, leader = community()
    placed = place(A, tenant)
    pay_all(A, leader, placed)
    part = PRICE * 2 * 6 // 10

    def refund(Session):
        return lambda p: in_tx(
            Session,
            payments.refund_order,
            leader,
            PROVIDERS,
            p[0],
            {"amount_cents": part, "reason": "破损"},
        )

    outcomes = at_once(pairs(refund(A), refund(B), placed))

    paid_in, back, off = money(A)
    assert not off
    for (order_id, _), first, second in zip(placed, outcomes[0::2], outcomes[1::2], strict=True):
        assert sorted([reason(first), reason(second)], key=str) == [None, "exceeds_paid"]
        assert back[order_id] == part <= paid_in[order_id]
    assert all(len(refunded) == 1 for refunded in events(A, "order_refunded").values())


def test_a_whole_refund_against_a_cancel(processes):
    """The leader refunds a paid order whole while the member cancels it: the money goes back
    once."""
    A, B = processes("orders")
    tenant, leader = community()
    placed = place(A, tenant)
    pay_all(A, leader, placed)

    at_once(
        pairs(
            lambda p: in_tx(
                A,
                payments.refund_order,
                leader,
                PROVIDERS,
                p[0],
                {"amount_cents": PRICE * 2, "reason": "缺货"},
            ),
            lambda p: in_tx(B, payments.cancel_order, p[1], PROVIDERS, p[0]),
            placed,
        )
    )

    orders = orders_by_id(A)
    paid_in, back, off = money(A)
    assert not off
    for order_id, _ in placed:
        assert orders[order_id].status in ("refunded", "cancelled")
        assert back[order_id] == paid_in[order_id] == PRICE * 2


def packed_event(tenant, order_id):
    return {
        "event_id": uuid.uuid4().hex,
        "event_type": "order_packed",
        "tenant_id": tenant,
        "correlation_id": None,
        "data": {"order_id": order_id},
    }


def test_order_packed_against_a_cancel(processes):
    """Fulfilment packs a paid order while its member cancels it: packed and kept, or cancelled
    and refunded with no packing on its timeline."""
    A, B = processes("orders")
    tenant, leader = community()
    placed = place(A, tenant)
    pay_all(A, leader, placed)

    at_once(
        pairs(
            lambda p: in_tx(A, fulfilment_events.apply_order_packed, packed_event(tenant, p[0])),
            lambda p: in_tx(B, payments.cancel_order, p[1], PROVIDERS, p[0]),
            placed,
        )
    )

    orders = orders_by_id(A)
    paid_in, back, _ = money(A)
    cancelled = events(A, "order_cancelled")
    for order_id, _ in placed:
        if orders[order_id].status == "packed":
            assert back[order_id] == 0 and not cancelled[order_id]
        else:
            assert orders[order_id].status == "cancelled"
            assert "packed" not in timeline(A, order_id)
            assert back[order_id] == paid_in[order_id] and len(cancelled[order_id]) == 1


def test_the_sandbox_sends_each_notification_from_one_process(processes):
    A, B = processes("orders")
    with A() as session, session.begin():
        for index in range(ATTEMPTS):
            charge = SandboxCharge(id=uuid.uuid4().hex, amount_cents=100, description=f"c{index}")
            session.add(charge)
            session.flush()
            session.add(
                SandboxNotification(
                    id=uuid.uuid4().hex,
                    charge_id=charge.id,
                    body=f'{{"n": {index}}}',
                    next_attempt_at=utcnow() - timedelta(seconds=1),
                )
            )
    sent = Counter()

    def post(url, body, headers):
        eventlet.sleep(0.001)  # the HTTP call: the other senders run meanwhile
        sent[body] += 1
        return 200

    def sender(Session):
        return lambda: sum(
            own_tx(Session, payments.deliver_notifications, post, SECRET, "http://linli.test/hook")
            for _ in range(ATTEMPTS // 20 + 1)
        )

    delivered = at_once([sender(Session) for Session in (A, B, A, B)])

    assert sum(delivered) == ATTEMPTS
    assert len(sent) == ATTEMPTS and set(sent.values()) == {1}
    with A() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(SandboxNotification)
                .where(SandboxNotification.delivered_at.is_(None))
            )
            == 0
        )


# --- catalog ------------------------------------------------------------------------------------


def cancelled_event(tenant, order_id):
    return {
        "event_id": uuid.uuid4().hex,
        "event_type": "order_cancelled",
        "tenant_id": tenant,
        "correlation_id": None,
        "data": {"order_id": order_id},
    }


def test_order_cancelled_twice_at_once_gives_stock_back_once(processes):
    """Two deliveries of ``order_cancelled`` (two catalog processes, or the event and the
    sweeper) release each reservation once: the stock ends where it started."""
    A, B = processes("catalog")
    tenant, leader = community()
    product = in_tx(
        A,
        catalog.create_product,
        leader,
        {"name": "鸡蛋", "price_cents": PRICE, "stock": 1000, "unit": "盒"},
    )
    keys = []
    for index in range(ATTEMPTS):
        key = uuid.uuid4().hex
        in_tx(
            A,
            catalog.reserve_stock,
            member_of(tenant, index),
            {"reservation_key": key, "items": [{"product_id": product["id"], "quantity": 3}]},
        )
        keys.append(key)
    with A() as session:
        assert session.get(Product, product["id"]).stock == 1000 - 3 * ATTEMPTS

    at_once(
        pairs(
            lambda key: in_tx(A, catalog.release_for_cancelled_order, cancelled_event(tenant, key)),
            lambda key: in_tx(B, catalog.release_stock, Caller(tenant_id=tenant), key),
            keys,
        )
    )

    with A() as session:
        assert session.get(Product, product["id"]).stock == 1000
        assert (
            session.scalar(
                select(func.count())
                .select_from(StockReservation)
                .where(StockReservation.status == "released")
            )
            == ATTEMPTS
        )


# --- fulfillment --------------------------------------------------------------------------------


def handed_over_orders(Session, tenant, status, count=ATTEMPTS):
    """``count`` fulfilment records in ``status``, each with its own pickup code."""
    codes = {}
    with Session() as session, session.begin():
        for index in range(count):
            order_id, code = uuid.uuid4().hex, f"{index:06d}"
            session.add(
                FulfillmentOrder(
                    order_id=order_id,
                    tenant_id=tenant,
                    member_id=f"member-{index}",
                    channel_type="shop",
                    items=[{"product_id": "eggs", "name": "鸡蛋", "quantity": 2}],
                    total_quantity=2,
                    total_cents=PRICE * 2,
                    status=status,
                    pickup_code=code,
                    open_pickup_code=code if status == "ready_for_pickup" else None,
                    picked_up_at=utcnow() if status == "picked_up" else None,
                )
            )
            codes[order_id] = code
    return codes


def test_a_pickup_code_is_used_once(processes):
    A, B = processes("fulfillment")
    tenant, leader = community()
    codes = handed_over_orders(A, tenant, "ready_for_pickup")

    def verify(Session):
        return lambda order_id: own_tx(
            Session, fulfillment.verify_pickup, leader, {"code": codes[order_id]}
        )

    outcomes = at_once(pairs(verify(A), verify(B), codes))

    picked_up = events(A, "order_picked_up")
    for order_id, first, second in zip(codes, outcomes[0::2], outcomes[1::2], strict=True):
        handed = [outcome for outcome in (first, second) if not isinstance(outcome, DomainError)]
        assert len(handed) == 1 and handed[0]["order_id"] == order_id
        (refused,) = (outcome for outcome in (first, second) if isinstance(outcome, DomainError))
        assert isinstance(refused, Conflict) and reason(refused) == "already_picked_up"
        assert len(picked_up[order_id]) == 1


class NoRefunds:
    """orders, as fulfilment calls it: these cases are resolved with coupons, never refunds."""

    def refund_order(self, order_id, payload, idempotency_key=None):
        raise AssertionError("a coupon needs no refund")


def test_a_case_is_rejected_or_resolved_never_both(processes):
    A, B = processes("fulfillment")
    tenant, leader = community()
    orders = handed_over_orders(A, tenant, "picked_up")
    cases = []
    for index, order_id in enumerate(orders):
        member = member_of(tenant, index)
        cases.append(
            in_tx(
                A,
                after_sales.open_case,
                member,
                order_id,
                {"kind": "damaged", "description": "蛋碎了"},
            )["id"]
        )

    at_once(
        pairs(
            lambda case_id: in_tx(
                A, after_sales.reject_case, leader, case_id, {"reason": "照片不清楚"}
            ),
            lambda case_id: own_tx(
                B,
                after_sales.resolve_case,
                leader,
                NoRefunds(),
                case_id,
                {"compensation": {"type": "coupon", "amount": 500}},
            ),
            cases,
        )
    )

    rejected, granted = events(A, "after_sale_rejected"), events(A, "compensation_granted")
    with A() as session:
        for case_id in cases:
            case = session.get(AfterSaleCase, case_id)
            compensations = session.scalars(
                select(Compensation).where(Compensation.case_id == case_id)
            ).all()
            assert len(rejected[case_id]) + len(granted[case_id]) == 1
            if case.status == "rejected":
                assert not compensations and len(rejected[case_id]) == 1
            else:
                assert case.status == "resolved" and [c.status for c in compensations] == [
                    "granted"
                ]


# --- the real services, over HTTP -----------------------------------------------------------------


@pytest.mark.skipif(
    not POSTGRES, reason="two processes of a service need PostgreSQL (LINLI_TEST_DB=postgres)"
)
@pytest.mark.timeout(
    600
)  # 120 orders and 240 payment calls through the gateway on a shared machine
def test_paid_or_cancelled_never_both(stack):
    """Issue 17's report, on two orders and two catalog processes: orders whose leader marks
    them paid while their members cancel them end paid (stock kept) or cancelled (stock back
    exactly once), and the product's stock is what the paid orders left of it."""
    stack.gateway_options["RPC_TIMEOUT_SECONDS"] = 30
    stack.declare_queues()
    stack.start("crm", "catalog", "catalog", "orders", "orders", "gateway")
    leader = stack.signup_leader()
    stock = 1000
    product = stack.create_product(leader["token"], stock=stock)
    members = [stack.join_member(leader["slug"], name=f"Neighbour {i}") for i in range(12)]

    def order(index):
        member = members[index % len(members)]
        response = stack.http(
            "POST",
            "/api/v1/orders",
            token=member["token"],
            timeout=60,
            json={
                "items": [{"product_id": product["id"], "quantity": 1 + index % 3}],
                "channel": {"type": "shop"},
            },
        )
        assert response.status_code == 201, response.text
        return response.json(), member

    placed = list(eventlet.GreenPool(10).imap(order, range(ATTEMPTS)))

    def mark_paid(entry):
        return stack.http(
            "POST", f"/api/v1/orders/{entry[0]['id']}/mark-paid", token=leader["token"], timeout=60
        )

    def cancel(entry):
        return stack.http(
            "POST", f"/api/v1/orders/{entry[0]['id']}/cancel", token=entry[1]["token"], timeout=60
        )

    responses = at_once(pairs(mark_paid, cancel, placed), size=40)
    assert all(response.status_code in (200, 409) for response in responses), [
        response.text for response in responses if response.status_code not in (200, 409)
    ]

    statuses = {}
    for entry, _ in placed:
        statuses[entry["id"]] = stack.scalar(
            "orders", "SELECT status FROM orders WHERE id = :id", id=entry["id"]
        )
    assert set(statuses.values()) <= {"paid", "cancelled"}
    kept = sum(
        entry["lines"][0]["quantity"] for entry, _ in placed if statuses[entry["id"]] == "paid"
    )
    cancelled = sum(status == "cancelled" for status in statuses.values())

    def settled():
        released = stack.scalar(
            "catalog", "SELECT count(*) FROM stock_reservations WHERE status = 'released'"
        )
        return (
            released == cancelled
            and stack.product_stock(leader["token"], product["id"]) == stock - kept
        )

    stack.wait_for(settled, timeout=60, message="catalog to give back the cancelled orders' stock")
    for order_id, status in statuses.items():
        paid_in = stack.scalar(
            "orders",
            "SELECT coalesce(sum(amount_cents), 0) FROM payments "
            "WHERE order_id = :id AND status IN ('succeeded', 'refunded')",
            id=order_id,
        )
        back = stack.scalar(
            "orders",
            "SELECT coalesce(sum(amount_cents), 0) FROM refunds WHERE order_id = :id",
            id=order_id,
        )
        announced = stack.scalar(
            "orders",
            "SELECT count(*) FROM outbox WHERE event_type = 'order_cancelled' "
            "AND payload -> 'data' ->> 'order_id' = :id",
            id=order_id,
        )
        assert (
            (back == 0 and announced == 0)
            if status == "paid"
            else (back == paid_in and announced == 1)
        )
    assert stack.product_stock(leader["token"], product["id"]) == stock - kept
