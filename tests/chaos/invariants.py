"""Money invariants read straight from the services' databases, read-only, after a scenario.

* every order: money in (succeeded payments) - refunds is within [0, total];
* every payment: its ``refunded_cents`` is the sum of its refunds;
* the points ledger (积分流水): each member's entries sum to a balance >= 0, and an order
  earned points at most once;
* no coupon redeemed twice: at most one paid (not cancelled) order per coupon.
"""

from collections import Counter, defaultdict

from sqlalchemy import create_engine, text

PAID = ("paid", "packed", "delivering", "ready_for_pickup", "completed", "refunding", "refunded")


def read_only_engine(url):
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    return create_engine(url, connect_args={"options": "-c default_transaction_read_only=on"})


def rows(deployment, service, sql, **params):
    engine = read_only_engine(deployment.database_url(service))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def points_balances(deployment):
    return dict(
        rows(
            deployment, "crm", "SELECT member_id, SUM(delta) FROM points_entries GROUP BY member_id"
        )
    )


def check_money(deployment):
    """Assert every invariant; return the figures (printed by the scenarios)."""
    orders = rows(deployment, "orders", "SELECT id, status, total_cents, coupon_id FROM orders")
    paid_in = defaultdict(int)
    for order_id, amount in rows(
        deployment,
        "orders",
        "SELECT order_id, amount_cents FROM payments WHERE status IN ('succeeded', 'refunded')",
    ):
        paid_in[order_id] += amount
    refunded = defaultdict(int)
    per_payment = defaultdict(int)
    for order_id, payment_id, amount in rows(
        deployment, "orders", "SELECT order_id, payment_id, amount_cents FROM refunds"
    ):
        refunded[order_id] += amount
        per_payment[payment_id] += amount
    broken = [
        (order_id, status, total, paid_in[order_id], refunded[order_id])
        for order_id, status, total, _ in orders
        if not 0 <= paid_in[order_id] - refunded[order_id] <= total
    ]
    assert not broken, f"orders whose payments - refunds is outside [0, total]: {broken[:10]}"
    payments = rows(deployment, "orders", "SELECT id, refunded_cents FROM payments")
    off = [(pid, cents, per_payment[pid]) for pid, cents in payments if cents != per_payment[pid]]
    assert not off, f"payments whose refunded_cents is not the sum of their refunds: {off[:10]}"

    balances = points_balances(deployment)
    negative = {member: balance for member, balance in balances.items() if balance < 0}
    assert not negative, f"negative points balances: {negative}"
    earned = Counter(
        order_id
        for (order_id,) in rows(
            deployment, "crm", "SELECT order_id FROM points_entries WHERE kind = 'earned'"
        )
    )
    twice = {order_id: n for order_id, n in earned.items() if n > 1}
    assert not twice, f"orders that earned points more than once: {twice}"

    used = Counter(coupon for _, status, _, coupon in orders if coupon and status in PAID)
    redeemed_twice = {coupon: n for coupon, n in used.items() if n > 1}
    assert not redeemed_twice, f"coupons paid with on more than one order: {redeemed_twice}"
    redeemed = rows(
        deployment, "crm", "SELECT id, locked_order_id FROM coupons WHERE status = 'redeemed'"
    )
    by_order = Counter(order_id for _, order_id in redeemed)
    assert all(n == 1 for n in by_order.values()), f"one order redeemed several coupons: {by_order}"

    figures = {
        "orders": len(orders),
        "paid_cents": sum(paid_in.values()),
        "refunded_cents": sum(refunded.values()),
        "members_with_points": len(balances),
        "points": sum(balances.values()),
        "coupons_redeemed": len(redeemed),
    }
    print(f"[money] invariants hold: {figures}")
    return figures
