"""Orders' figures for the cockpit (数据驾驶舱), from a read model kept with the orders.

Definitions (all over the community's local days ``from``..``to``, both included):

- ``gmv_cents`` (成交额): the totals (after discounts) of the orders *paid* in the range, minus
  what has been refunded on those same orders so far (whenever the refund happened). An order
  refunded in whole therefore adds nothing.
- ``orders``: orders paid in the range and not refunded in whole (a cancellation of a paid order
  is a whole refund).
- ``paying_members``: members with at least one such order; ``repurchase_rate`` = members with
  >= 2 such orders / members with >= 1 (0 when nobody paid), 4 decimals.
- ``aov_cents`` (客单价): ``gmv_cents / orders`` rounded to the nearest fen (0 without orders).
- ``top_products``: the 10 products with the most line revenue (unit price x quantity, before
  order-level discounts) in the range's paid orders, whole refunds taken out.
- ``fulfillment.avg_paid_to_completed_hours``: over orders *completed* (picked up) in the range,
  the mean time from payment to pickup in hours, 2 decimals; null when none completed.
- ``daily``: every local day of the range with its ``gmv_cents`` and ``orders`` as above.

Every change is booked in the transaction that changes the order (``record_paid``,
``record_refund``, ``record_completed``) into UTC-hour buckets (products also per UTC day), so
a question over a year reads at most 8,784 hour rows, one day row per product and day, and two
index seeks per paying member, whatever the number of orders (bench/dashboard.py).
``rebuild`` recomputes the buckets from the orders themselves (the migration's backfill and the
benchmark's seeding use it) with the same bucketing as the live bookings.
"""

from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from services.infra.periods import day_range, local_date, ratio
from services.orders.models import (
    Order,
    OrderLine,
    OrderStatusChange,
    Payment,
    StatsHour,
    StatsMember,
    StatsMemberHour,
    StatsProductDay,
    StatsProductHour,
)

TOP_PRODUCTS = 10


def hour_of(moment):
    return int(moment.timestamp()) // 3600


def _status_at(order, status):
    """When the order last became ``status`` (its timeline is the order's own record)."""
    moments = [change.at for change in order.timeline if change.status == status]
    return moments[-1] if moments else None


def _bump(session, model, keys, amounts, labels=None):
    """Add ``amounts`` to the row ``keys`` (created at zero) and set ``labels``: one statement,
    safe under concurrency."""
    labels = labels or {}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**keys, **amounts, **labels)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={
            **{name: getattr(model, name) + statement.excluded[name] for name in amounts},
            **{name: statement.excluded[name] for name in labels},
        },
    )
    session.execute(statement)


def _book_order(session, order, paid_at, sign):
    """Add (sign=1) or take out (sign=-1) a paid order in its payment hour."""
    hour = hour_of(paid_at)
    _bump(
        session,
        StatsMember,
        {"tenant_id": order.tenant_id, "member_id": order.member_id},
        {"orders": sign},
    )
    _bump(
        session,
        StatsMemberHour,
        {"tenant_id": order.tenant_id, "hour": hour, "member_id": order.member_id},
        {"orders": sign},
    )
    for line in order.lines:
        sold = {
            "quantity": sign * line.quantity,
            "revenue_cents": sign * line.quantity * line.unit_price_cents,
        }
        _bump(
            session,
            StatsProductHour,
            {"tenant_id": order.tenant_id, "hour": hour, "product_id": line.product_id},
            sold,
            {"name": line.name},
        )
        _bump(
            session,
            StatsProductDay,
            {"tenant_id": order.tenant_id, "day": hour // 24, "product_id": line.product_id},
            sold,
            {"name": line.name},
        )


def record_paid(session, order):
    """The order has just become paid (its timeline says when)."""
    paid_at = _status_at(order, "paid")
    _bump(
        session,
        StatsHour,
        {"tenant_id": order.tenant_id, "hour": hour_of(paid_at)},
        {"orders": 1, "paid_cents": order.total_cents},
    )
    _book_order(session, order, paid_at, 1)


def record_refund(session, order, amount_cents, whole):
    """Money went back on a paid order; a whole refund also takes the order out of the counts."""
    paid_at = _status_at(order, "paid")
    if paid_at is None:
        return
    _bump(
        session,
        StatsHour,
        {"tenant_id": order.tenant_id, "hour": hour_of(paid_at)},
        {"orders": -1 if whole else 0, "refunded_cents": amount_cents},
    )
    if whole:
        _book_order(session, order, paid_at, -1)


def record_completed(session, order):
    """The member picked the order up: one completion, with its time since payment."""
    paid_at, completed_at = _status_at(order, "paid"), _status_at(order, "completed")
    if paid_at is None or completed_at is None:
        return
    _bump(
        session,
        StatsHour,
        {"tenant_id": order.tenant_id, "hour": hour_of(completed_at)},
        {
            "completed": 1,
            "paid_to_completed_seconds": int((completed_at - paid_at).total_seconds()),
        },
    )


def dashboard_stats(session, caller, date_from, date_to, timezone=None):
    """The orders part of the cockpit for the caller's community (staff only)."""
    caller.require_staff()
    start, end, days = day_range(date_from, date_to, timezone)
    tenant, first, last = caller.tenant_id, hour_of(start), hour_of(end)

    daily = {day: {"date": day.isoformat(), "gmv_cents": 0, "orders": 0} for day in days}
    gmv = orders = completed = seconds = 0
    hours = session.execute(
        select(
            StatsHour.hour,
            StatsHour.orders,
            StatsHour.paid_cents - StatsHour.refunded_cents,
            StatsHour.completed,
            StatsHour.paid_to_completed_seconds,
        ).where(StatsHour.tenant_id == tenant, StatsHour.hour >= first, StatsHour.hour < last)
    )
    for hour, hour_orders, hour_gmv, hour_completed, hour_seconds in hours:
        day = daily[local_date(datetime.fromtimestamp(hour * 3600, UTC), timezone)]
        day["gmv_cents"] += hour_gmv
        day["orders"] += hour_orders
        gmv, orders = gmv + hour_gmv, orders + hour_orders
        completed, seconds = completed + hour_completed, seconds + hour_seconds

    paying, repeat = session.execute(
        REPEAT_BUYERS, {"tenant": tenant, "first": first, "last": last}
    ).one()
    top = top_products(session, tenant, first, last)
    return {
        "gmv_cents": int(gmv),
        "orders": int(orders),
        "paying_members": int(paying),
        "aov_cents": round(gmv / orders) if orders else 0,
        "repurchase_rate": ratio(int(repeat), int(paying)),
        "top_products": top,
        "fulfillment": {
            "avg_paid_to_completed_hours": round(seconds / completed / 3600, 2)
            if completed
            else None,
            "completed_orders": int(completed),
        },
        "daily": list(daily.values()),
    }


# Per paying member, the orders of their first two paid hours in the range (index seeks on
# ix_stats_member_hours_member): >= 1 is a paying member, >= 2 one who came back.
REPEAT_BUYERS = text("""
    SELECT count(n), coalesce(sum(CASE WHEN n >= 2 THEN 1 ELSE 0 END), 0) FROM (
        SELECT (SELECT sum(first_two.orders) FROM (
                    SELECT h.orders FROM stats_member_hours h
                    WHERE h.tenant_id = m.tenant_id AND h.member_id = m.member_id
                      AND h.hour >= :first AND h.hour < :last AND h.orders > 0
                    ORDER BY h.hour LIMIT 2) first_two) AS n
        FROM stats_members m WHERE m.tenant_id = :tenant) per_member
""")


def top_products(session, tenant, first, last):
    """Whole UTC days from the day buckets, the partial days at the edges from the hours."""
    full_from, full_to = -(-first // 24), last // 24
    parts = (
        [(StatsProductHour, StatsProductHour.hour, first, last)]
        if full_from >= full_to
        else [
            (StatsProductDay, StatsProductDay.day, full_from, full_to),
            (StatsProductHour, StatsProductHour.hour, first, full_from * 24),
            (StatsProductHour, StatsProductHour.hour, full_to * 24, last),
        ]
    )
    totals = {}
    for model, bucket, low, high in parts:
        if low >= high:
            continue
        rows = session.execute(
            select(
                model.product_id,
                func.max(model.name),
                func.sum(model.quantity),
                func.sum(model.revenue_cents),
            )
            .where(model.tenant_id == tenant, bucket >= low, bucket < high)
            .group_by(model.product_id)
        )
        for product_id, name, quantity, cents in rows:
            total = totals.setdefault(
                product_id,
                {"product_id": product_id, "name": name, "quantity": 0, "revenue_cents": 0},
            )
            total["quantity"] += int(quantity)
            total["revenue_cents"] += int(cents)
    ranked = sorted(
        (t for t in totals.values() if t["quantity"] > 0),
        key=lambda t: (-t["revenue_cents"], t["product_id"]),
    )
    return ranked[:TOP_PRODUCTS]


def rebuild(session, tenant_id=None):
    """Recompute the read model from the orders (all communities, or one): the backfill for
    orders that existed before it, and the benchmark's builder. Same buckets as the bookings."""
    for model in (StatsHour, StatsMember, StatsMemberHour, StatsProductHour, StatsProductDay):
        statement = delete(model)
        if tenant_id:
            statement = statement.where(model.tenant_id == tenant_id)
        session.execute(statement)

    def moment(status):
        return (
            select(OrderStatusChange.order_id, func.max(OrderStatusChange.at).label("at"))
            .where(OrderStatusChange.status == status)
            .group_by(OrderStatusChange.order_id)
            .subquery()
        )

    paid, done = moment("paid"), moment("completed")
    refunds = (
        select(Payment.order_id, func.sum(Payment.refunded_cents).label("cents"))
        .group_by(Payment.order_id)
        .subquery()
    )
    whole = Order.status.in_(("refunded", "cancelled"))
    scope = [Order.tenant_id == tenant_id] if tenant_id else []

    hours = defaultdict(lambda: [0, 0, 0, 0, 0])
    members = defaultdict(int)
    orders = (
        select(
            Order.tenant_id,
            Order.member_id,
            whole,
            Order.total_cents,
            paid.c.at,
            done.c.at,
            refunds.c.cents,
        )
        .join(paid, paid.c.order_id == Order.id)
        .outerjoin(done, done.c.order_id == Order.id)
        .outerjoin(refunds, refunds.c.order_id == Order.id)
        .where(*scope)
    )
    for tenant, member, is_whole, total, paid_at, completed_at, given_back in session.execute(
        orders.execution_options(yield_per=5000)
    ):
        bucket = hours[(tenant, hour_of(_aware(paid_at)))]
        bucket[0] += 0 if is_whole else 1
        bucket[1] += total
        bucket[2] += int(given_back or 0)
        if completed_at is not None:
            finished = hours[(tenant, hour_of(_aware(completed_at)))]
            finished[3] += 1
            finished[4] += int((_aware(completed_at) - _aware(paid_at)).total_seconds())
        if not is_whole:
            members[(tenant, hour_of(_aware(paid_at)), member)] += 1

    products = {}
    lines = (
        select(
            Order.tenant_id,
            paid.c.at,
            OrderLine.product_id,
            OrderLine.name,
            OrderLine.quantity,
            OrderLine.unit_price_cents,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(paid, paid.c.order_id == Order.id)
        .where(~whole, *scope)
    )
    for tenant, paid_at, product_id, name, quantity, price in session.execute(
        lines.execution_options(yield_per=5000)
    ):
        row = products.setdefault((tenant, hour_of(_aware(paid_at)), product_id), [name, 0, 0])
        row[0], row[1], row[2] = name, row[1] + quantity, row[2] + quantity * price

    if hours:
        session.execute(
            StatsHour.__table__.insert(),
            [
                {
                    "tenant_id": t,
                    "hour": h,
                    "orders": v[0],
                    "paid_cents": v[1],
                    "refunded_cents": v[2],
                    "completed": v[3],
                    "paid_to_completed_seconds": v[4],
                }
                for (t, h), v in hours.items()
            ],
        )
    if members:
        session.execute(
            StatsMemberHour.__table__.insert(),
            [
                {"tenant_id": t, "hour": h, "member_id": m, "orders": n}
                for (t, h, m), n in members.items()
            ],
        )
        per_member = defaultdict(int)
        for (t, _, m), n in members.items():
            per_member[(t, m)] += n
        session.execute(
            StatsMember.__table__.insert(),
            [{"tenant_id": t, "member_id": m, "orders": n} for (t, m), n in per_member.items()],
        )
    if products:
        session.execute(
            StatsProductHour.__table__.insert(),
            [
                {
                    "tenant_id": t,
                    "hour": h,
                    "product_id": p,
                    "name": v[0],
                    "quantity": v[1],
                    "revenue_cents": v[2],
                }
                for (t, h, p), v in products.items()
            ],
        )
        days = {}
        for (t, h, p), (name, quantity, cents) in products.items():
            day = days.setdefault((t, h // 24, p), [name, 0, 0])
            day[0], day[1], day[2] = name, day[1] + quantity, day[2] + cents
        session.execute(
            StatsProductDay.__table__.insert(),
            [
                {
                    "tenant_id": t,
                    "day": d,
                    "product_id": p,
                    "name": v[0],
                    "quantity": v[1],
                    "revenue_cents": v[2],
                }
                for (t, d, p), v in days.items()
            ],
        )
    return {"hours": len(hours), "member_hours": len(members), "product_hours": len(products)}


def _aware(moment):
    """``max(at)`` comes back as the engine stores it (SQLite: naive UTC text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
