"""Cockpit benchmark: one community with 1,000,000 orders over two years.

    .venv/bin/python bench/dashboard.py [--orders 1000000] [--members 5000] [--data-dir DIR]

1. Seeds orders' own database (migrated with its alembic revisions, in a temporary data directory
   unless ``--data-dir`` is given): orders, their lines and timelines (paid; completed for most;
   some refunded in part or whole, with their payments) as bulk inserts, then builds the cockpit's
   read model with ``services.orders.stats.rebuild`` — the same bucketing the service books live
   and the migration's backfill — and checks a sample day against the orders themselves.
2. Times orders' ``dashboard_stats`` (the body of the RPC) for the last 30 days, 90 days and a
   whole year (366 days, the maximum), then the whole cockpit use case in-process: crm's figures
   (for the range and the clock), then orders, catalog, referral and fulfilment, and the gateway's
   ``compose``. Over HTTP add one RPC round trip per service (a few ms each, in parallel).

Prints figures, never asserts. Target: each under 1 s.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TENANT = "bench-community"


def seed(engine, orders, members, products, seed_value=8):
    from services.orders.models import Order, OrderLine, OrderStatusChange, Payment

    rng = random.Random(seed_value)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(days=730)
    span = int((now - start).total_seconds())
    catalogue = [
        (f"p{n:04d}", f"商品{n}", rng.choice([590, 1290, 2600, 3990, 6900, 8800]))
        for n in range(products)
    ]
    batch, written = 20_000, 0
    change_id = line_id = 0
    with engine.begin() as connection:
        while written < orders:
            order_rows, line_rows, change_rows, payment_rows = [], [], [], []
            for n in range(written, min(orders, written + batch)):
                # Busier lately: a community grows.
                paid_at = start + timedelta(seconds=int(span * rng.random() ** 0.8))
                order_id = f"o{n:08d}"
                lines = rng.sample(catalogue, rng.choice((1, 1, 2, 3)))
                total = 0
                for position, (product_id, name, price) in enumerate(lines):
                    quantity = rng.choice((1, 1, 2, 3))
                    total += price * quantity
                    line_id += 1
                    line_rows.append(
                        {
                            "id": line_id,
                            "order_id": order_id,
                            "position": position,
                            "product_id": product_id,
                            "name": name,
                            "unit": "份",
                            "unit_price_cents": price,
                            "quantity": quantity,
                        }
                    )
                roll = rng.random()
                status = "refunded" if roll < 0.01 else "completed" if roll < 0.92 else "paid"
                change_id += 1
                change_rows.append(
                    {
                        "id": change_id,
                        "order_id": order_id,
                        "status": "paid",
                        "at": paid_at,
                        "by": "bench",
                    }
                )
                if status == "completed":
                    change_id += 1
                    change_rows.append(
                        {
                            "id": change_id,
                            "order_id": order_id,
                            "status": "completed",
                            "at": paid_at + timedelta(hours=rng.uniform(20, 60)),
                            "by": "bench",
                        }
                    )
                refunded = total if status == "refunded" else (300 if roll > 0.985 else 0)
                if refunded:
                    payment_rows.append(
                        {
                            "id": f"pay{n:08d}",
                            "tenant_id": TENANT,
                            "order_id": order_id,
                            "method": "offline",
                            "status": "refunded" if refunded == total else "succeeded",
                            "amount_cents": total,
                            "refunded_cents": refunded,
                            "created_at": paid_at,
                            "updated_at": paid_at,
                        }
                    )
                order_rows.append(
                    {
                        "id": order_id,
                        "tenant_id": TENANT,
                        "member_id": f"m{rng.randrange(members):05d}",
                        "status": status,
                        "channel_type": "wave",
                        "channel_id": None,
                        "subtotal_cents": total,
                        "discount_cents": 0,
                        "total_cents": total,
                        "note": "",
                        "expires_at": paid_at,
                        "created_at": paid_at,
                        "updated_at": paid_at,
                    }
                )
            connection.execute(Order.__table__.insert(), order_rows)
            connection.execute(OrderLine.__table__.insert(), line_rows)
            connection.execute(OrderStatusChange.__table__.insert(), change_rows)
            if payment_rows:
                connection.execute(Payment.__table__.insert(), payment_rows)
            written += len(order_rows)
            print(f"\r  seeded {written:,} orders", end="", flush=True)
    print()


def timed(label, function, repeat=3):
    best, answer = None, None
    for _ in range(repeat):
        began = time.perf_counter()
        answer = function()
        took = time.perf_counter() - began
        best = took if best is None else min(best, took)
    print(f"  {label:<48} {best * 1000:8.1f} ms (best of {repeat})")
    return answer


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    os.environ["LINLI_DATA_DIR"] = args.data_dir or tempfile.mkdtemp(prefix="linli-bench-")
    print(f"data directory: {os.environ['LINLI_DATA_DIR']}")

    from sqlalchemy import func, select
    from sqlalchemy.orm import sessionmaker

    from gateway.routes.dashboard import compose
    from services.catalog import stats as catalog_stats
    from services.crm.engagement import stats as crm_stats
    from services.fulfillment import stats as fulfillment_stats
    from services.infra.context import Caller
    from services.infra.db import database_url, make_engine
    from services.infra.migrations import upgrade
    from services.infra.periods import day_range
    from services.infra.topology import SERVICES
    from services.orders import stats
    from services.orders.models import Order, OrderStatusChange, StatsHour
    from services.referral import stats as referral_stats

    for service in SERVICES:
        upgrade(service)
    engines = {service: make_engine(database_url(service)) for service in SERVICES}
    sessions = {
        service: sessionmaker(bind=engine, expire_on_commit=False)
        for service, engine in engines.items()
    }

    with sessions["orders"]() as session:
        existing = session.scalar(
            select(func.count()).select_from(Order).where(Order.tenant_id == TENANT)
        )
    if existing < args.orders:
        print(
            f"1. seeding {args.orders:,} orders for one community ({args.members:,} members, "
            f"{args.products} products, two years)"
        )
        began = time.perf_counter()
        seed(engines["orders"], args.orders, args.members, args.products)
        print(f"  bulk insert: {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        with sessions["orders"].begin() as session:
            built = stats.rebuild(session, TENANT)
        print(f"  read model built by stats.rebuild: {time.perf_counter() - began:.1f} s {built}")
    else:
        print(f"1. reusing {existing:,} orders already in {os.environ['LINLI_DATA_DIR']}")

    leader = Caller(
        tenant_id=TENANT,
        account_id="bench-leader",
        member_id=None,
        role="leader",
        correlation_id="bench",
    )
    today = datetime.now(UTC).date()
    with sessions["orders"]() as session:
        # A sample day checked against the orders themselves: the read model adds up.
        day = today - timedelta(days=40)
        start, end, _ = day_range(day.isoformat(), day.isoformat(), "UTC")
        paid = select(OrderStatusChange.order_id).where(
            OrderStatusChange.status == "paid",
            OrderStatusChange.at >= start,
            OrderStatusChange.at < end,
        )
        counted = session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.id.in_(paid), Order.status.not_in(("refunded", "cancelled")))
        )
        booked = stats.dashboard_stats(session, leader, day.isoformat(), day.isoformat(), "UTC")[
            "orders"
        ]
        print(
            f"  check {day}: {counted} orders in the tables, {booked} in the read model "
            f"({'same' if counted == booked else 'DIFFERENT'})"
        )
        print(
            "  read model rows: "
            f"{session.scalar(select(func.count()).select_from(StatsHour)):,} hours"
        )

    print("2. orders' dashboard_stats (target < 1 s)")
    for days in (30, 90, 366):
        date_from = (today - timedelta(days=days - 1)).isoformat()
        with sessions["orders"]() as session:
            figures = timed(
                f"orders, last {days} days",
                lambda session=session, date_from=date_from: stats.dashboard_stats(
                    session, leader, date_from, today.isoformat(), "Asia/Shanghai"
                ),
            )
        print(
            f"    gmv {figures['gmv_cents'] / 100:,.2f} yuan, {figures['orders']:,} orders, "
            f"{figures['paying_members']:,} paying members, aov {figures['aov_cents'] / 100:.2f}, "
            f"repurchase {figures['repurchase_rate']:.2%}, "
            f"paid->picked up {figures['fulfillment']['avg_paid_to_completed_hours']} h, "
            f"top {figures['top_products'][0]['name']}"
        )

    def whole_cockpit(date_from, date_to):
        opened = {service: maker() for service, maker in sessions.items()}
        try:
            crm = crm_stats.dashboard_stats(opened["crm"], leader, date_from, date_to)
            span = (crm["from"], crm["to"], crm["timezone"])
            start, end, _ = day_range(*span)
            answers = {
                "orders": stats.dashboard_stats(opened["orders"], leader, *span),
                "catalog": catalog_stats.dashboard_stats(opened["catalog"], leader, *span),
                "referral": referral_stats.dashboard_stats(opened["referral"], leader, *span),
                "fulfillment": fulfillment_stats.dashboard_stats(
                    opened["fulfillment"], leader, *span
                ),
                "after_sales": None,
            }
            return compose(crm, answers)
        finally:
            for session in opened.values():
                session.close()

    print("3. the whole cockpit use case, in-process (every service's figures + compose)")
    for days in (30, 366):
        date_from = (today - timedelta(days=days - 1)).isoformat()
        cockpit = timed(
            f"cockpit, last {days} days",
            lambda date_from=date_from: whole_cockpit(date_from, today.isoformat()),
        )
        print(f"    {cockpit['orders']:,} orders, {len(cockpit['daily'])} days in the series")


if __name__ == "__main__":
    main()
