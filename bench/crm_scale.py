"""CRM scale benchmark: prediction and tagging for a community of 5,000 members with two years of
history (issue #6, "Scale": under 10 s).

    .venv/bin/python bench/crm_scale.py [--members 5000] [--days 730] [--database sqlite:///...]

Seeds a fresh crm database (SQLite in a temporary directory unless ``--database`` says otherwise):
the community, accounts and members as rows, the products through crm's own event handler
(``handlers.record_product``), and the purchase read model as bulk rows of ``Purchase`` (the
rows ``order_placed``/``order_paid`` would have left; replaying 200k+ events one by one would
time the seeding, not the work). Members have habits: two or three staples bought every 5-30
days with jitter, now and then a holiday gap, and occasional other products; some are irregular.

Then times, for the whole community, as the daily timer runs them
(``handlers.refresh_community_tags``):
reading the paid purchases once (``prediction.paid_purchases``), ``prediction.refresh_community``
(every member x product and category), ``tags.refresh_community`` (automatic tags), their sum
against the 10 s target, and one automation tick (reminders due + campaigns). Prints figures,
never asserts: machines are noisy.
"""

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.crm import handlers  # noqa: E402
from services.crm.engagement import automation, campaigns, prediction, reminders  # noqa: E402
from services.crm.members import tags  # noqa: E402
from services.crm.models import Account, Base, Community, Member, Purchase, RepurchasePrediction  # noqa: E402
from services.infra.db import make_engine  # noqa: E402
from services.infra.messaging import MessagingBase  # noqa: E402

TENANT = "bench-community"
TARGET_SECONDS = 10.0
CATEGORIES = {
    "乳品": ["鲜牛奶 1L", "酸奶 6杯", "有机鲜奶 950ml"],
    "蛋": ["土鸡蛋 30枚", "鸡蛋 10枚"],
    "粮油": ["东北大米 5kg", "花生油 5L", "五常面粉"],
    "水果": ["烟台苹果", "赣南脐橙", "海南香蕉", "阳山水蜜桃"],
    "蔬菜": ["有机青菜", "小番茄", "紫薯", "玉米"],
    "肉禽": ["散养土鸡", "农家腊肉", "舟山带鱼"],
    "面点": ["手工水饺", "全麦面包"],
}


def envelope(event_type, data):
    return {
        "event_id": uuid.uuid4().hex,
        "event_type": event_type,
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "tenant_id": TENANT,
        "correlation_id": None,
        "data": data,
    }


def seed(Session, members, days, rng, now):
    products = []
    with Session.begin():
        Session.add(
            Community(
                id=TENANT,
                slug="bench",
                name="压测小区",
                leader_display_name="团长",
                timezone="Asia/Shanghai",
                settings={},
            )
        )
        for category, names in CATEGORIES.items():
            for name in names:
                product_id = f"p{len(products):03d}"
                handlers.record_product(
                    Session,
                    envelope(
                        "product_created",
                        {
                            "product_id": product_id,
                            "name": name,
                            "category": category,
                            "tags": ["有机"] if "有机" in name else [],
                            "price_cents": rng.randint(500, 8000),
                            "in_stock": True,
                        },
                    ),
                )
                products.append(product_id)
    start = now - timedelta(days=days)
    rows, member_rows, account_rows = [], [], []
    for i in range(members):
        member_id, joined = f"m{i:05d}", start + timedelta(days=rng.uniform(0, days * 0.3))
        account_rows.append(
            {
                "id": f"a{i:05d}",
                "tenant_id": TENANT,
                "phone": f"139{i:08d}",
                "password_hash": "x",
                "role": "member",
                "display_name": f"团员{i}",
                "created_at": joined,
            }
        )
        member_rows.append(
            {
                "id": member_id,
                "tenant_id": TENANT,
                "account_id": f"a{i:05d}",
                "name": f"团员{i}",
                "building": f"{rng.randint(1, 30)}栋",
                "unit": f"{rng.randint(1, 6)}单元",
                "status": "active",
                "tags": [],
                "auto_tags": [],
                "note": "",
                "household_notes": "",
                "created_at": joined,
                "activated_at": joined,
                "birthday": f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-"
                f"{rng.randint(1, 28):02d}",
            }
        )
        irregular = rng.random() < 0.2
        # Some members drift away at some point (the lifecycle tags need dormant and lost ones).
        leaves = now if rng.random() > 0.3 else joined + timedelta(days=rng.uniform(30, days))
        for product_id in rng.sample(products, rng.randint(2, 3)):
            interval = rng.uniform(5, 30)
            at = joined + timedelta(days=rng.uniform(0, interval))
            while at < min(leaves, now):
                extras = rng.sample(products, rng.randint(0, 2))
                lines = [
                    {
                        "product_id": p,
                        "name": p,
                        "quantity": rng.randint(1, 3),
                        "unit_price_cents": 1000,
                    }
                    for p in [product_id, *[e for e in extras if e != product_id]]
                ]
                rows.append(
                    {
                        "order_id": uuid.uuid4().hex,
                        "tenant_id": TENANT,
                        "member_id": member_id,
                        "status": "paid" if rng.random() > 0.05 else "cancelled",
                        "total_cents": sum(line["quantity"] * 1000 for line in lines),
                        "refunded_cents": 0,
                        "lines": lines,
                        "placed_at": at,
                    }
                )
                gap = interval * (rng.uniform(0.3, 2.5) if irregular else rng.uniform(0.85, 1.15))
                if rng.random() < 0.03:
                    gap += rng.uniform(14, 45)  # a holiday
                at += timedelta(days=gap)
    with Session.begin():
        Session.execute(insert(Account), account_rows)
        Session.execute(insert(Member), member_rows)
        for offset in range(0, len(rows), 20_000):
            Session.execute(insert(Purchase), rows[offset : offset + 20_000])
    return len(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--database", default=None)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='linli-crm-bench-')}/crm.db"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    MessagingBase.metadata.create_all(engine)
    Session = sessionmaker(engine, expire_on_commit=False)()
    now = datetime.now(UTC)

    began = time.perf_counter()
    purchases = seed(Session, args.members, args.days, random.Random(args.seed), now)
    print(
        f"seeded {args.members} members, {purchases} purchases over {args.days} days "
        f"in {time.perf_counter() - began:.1f} s ({url})"
    )

    with Session.begin():
        began = time.perf_counter()
        by_member = prediction.paid_purchases(Session, TENANT)
        reading = time.perf_counter() - began
        began = time.perf_counter()
        predicted = prediction.refresh_community(Session, TENANT, by_member)
        predicting = time.perf_counter() - began
        began = time.perf_counter()
        changed = tags.refresh_community(Session, TENANT, now, by_member)
        tagging = time.perf_counter() - began
        began = time.perf_counter()
    committing = time.perf_counter() - began
    with Session.begin():
        confident = Session.scalar(
            select(func.count())
            .select_from(RepurchasePrediction)
            .where(RepurchasePrediction.confidence >= prediction.REMINDER_MIN_CONFIDENCE)
        )
    with Session.begin():
        community = Session.get(Community, TENANT)
        community.settings = {"quiet_hours": {"start": "00:00", "end": "00:00"}, "reminder_hour": 0}
        Session.add(
            campaigns.Campaign(
                tenant_id=TENANT,
                name="想你了",
                trigger={"type": "inactive", "days": 60},
                audience={},
                actions=[{"type": "points", "amount": 20}],
                schedule={},
                active=True,
                created_at=now,
            )
        )
    began = time.perf_counter()
    sent = automation.tick(Session, now, send_reminders=reminders.send_due)
    ticking = time.perf_counter() - began
    began = time.perf_counter()
    again = automation.tick(Session, now, send_reminders=reminders.send_due)
    idle = time.perf_counter() - began

    total = reading + predicting + tagging + committing
    print(
        f"reading:    {sum(len(v) for v in by_member.values())} paid purchases in {reading:.2f} s"
    )
    print(
        f"prediction: {predicted} predictions ({confident} confident enough to remind) "
        f"in {predicting:.2f} s"
    )
    print(f"tagging:    {changed} members' tags set in {tagging:.2f} s")
    print(f"commit:     {committing:.2f} s")
    print(
        f"together:   {total:.2f} s (target < {TARGET_SECONDS:.0f} s: "
        f"{'OK' if total < TARGET_SECONDS else 'OVER'})"
    )
    print(
        f"one automation tick (reminders due, birthday greetings, an inactive-60-days campaign): "
        f"{sent} sent in {ticking:.2f} s; the next tick (nothing new): {again} in {idle:.2f} s"
    )


if __name__ == "__main__":
    main()
