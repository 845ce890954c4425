"""The demo community (deploy/demo.py): a short replay into a fresh data directory, read back
through the cockpit's own figures, which must be non-trivial and agree with the orders."""

import importlib.util
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from services.infra.context import Caller
from services.infra.db import database_url, make_engine
from services.infra.migrations import upgrade
from services.infra.topology import SERVICES


def load_demo():
    spec = importlib.util.spec_from_file_location(
        "linli_demo", Path(__file__).parents[2] / "deploy" / "demo.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def replayed(tmp_path, monkeypatch):
    monkeypatch.setenv("LINLI_DATA_DIR", str(tmp_path))
    for service in SERVICES:
        upgrade(service)
    demo = load_demo()
    summary = demo.generate(weeks=3, residents=60)
    engines = {service: make_engine(database_url(service)) for service in SERVICES}
    yield demo, summary, {name: sessionmaker(bind=engine) for name, engine in engines.items()}
    for engine in engines.values():
        engine.dispose()


def test_the_demo_replays_weeks_of_life_that_the_cockpit_adds_up(replayed):
    from gateway.routes.dashboard import compose
    from services.catalog import stats as catalog_stats
    from services.crm.engagement import stats as crm_stats
    from services.crm.models import Account, Community
    from services.fulfillment import after_sales
    from services.fulfillment import stats as fulfillment_stats
    from services.infra.periods import day_range
    from services.orders import stats as orders_stats
    from services.orders.models import Order, Payment
    from services.referral import stats as referral_stats

    demo, summary, sessions = replayed
    assert (
        summary["members"] == 60
        and summary["paid"] > 10
        and summary["picked_up"] == summary["paid"]
    )
    with sessions["crm"]() as crm:
        community = crm.scalars(select(Community).where(Community.slug == demo.SLUG)).one()
        leader = crm.scalars(
            select(Account).where(Account.tenant_id == community.id, Account.role == "leader")
        ).one()
        assert leader.phone == demo.LEADER_PHONE
    caller = Caller(
        tenant_id=community.id,
        account_id=leader.id,
        member_id=None,
        role="leader",
        correlation_id="test",
    )

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    span = ((today - timedelta(days=40)).isoformat(), today.isoformat(), "Asia/Shanghai")
    opened = {name: maker() for name, maker in sessions.items()}
    start, end, _ = day_range(*span)
    cockpit = compose(
        crm_stats.dashboard_stats(opened["crm"], caller, *span[:2]),
        {
            "orders": orders_stats.dashboard_stats(opened["orders"], caller, *span),
            "catalog": catalog_stats.dashboard_stats(opened["catalog"], caller, *span),
            "referral": referral_stats.dashboard_stats(opened["referral"], caller, *span),
            "fulfillment": fulfillment_stats.dashboard_stats(opened["fulfillment"], caller, *span),
            "after_sales": after_sales.after_sale_stats(
                opened["fulfillment"], community.id, start, end
            ),
        },
    )

    # GMV is the paid orders' totals less what was refunded on them, from the orders themselves.
    orders = opened["orders"]
    paid = orders.scalars(
        select(Order).where(
            Order.tenant_id == community.id, Order.status.not_in(("pending_payment", "cancelled"))
        )
    ).all()
    refunded = orders.scalar(
        select(func.coalesce(func.sum(Payment.refunded_cents), 0)).where(
            Payment.order_id.in_([order.id for order in paid])
        )
    )
    whole = [order for order in paid if order.status == "refunded"]
    assert cockpit["gmv_cents"] == sum(order.total_cents for order in paid) - refunded > 0
    assert cockpit["orders"] == len(paid) - len(whole) == summary["paid"] - len(whole)
    assert cockpit["aov_cents"] == round(cockpit["gmv_cents"] / cockpit["orders"])
    assert 0 < cockpit["paying_members"] <= 60 and 0 < cockpit["repurchase_rate"] <= 1
    assert cockpit["new_members"] == cockpit["members_total"] == 60
    assert sum(day["gmv_cents"] for day in cockpit["daily"]) == cockpit["gmv_cents"]
    assert sum(day["new_members"] for day in cockpit["daily"]) == 60
    assert len({day["date"] for day in cockpit["daily"] if day["orders"]}) >= 6  # life on many days
    assert cockpit["live"]["sessions"] == 3 and cockpit["live"]["viewers"] > 0
    assert 0 < cockpit["live"]["buyers"] <= cockpit["live"]["viewers"]
    assert cockpit["referrals"]["invited"] == summary["invited"]
    assert (
        20 < cockpit["fulfillment"]["avg_paid_to_completed_hours"] < 150
    )  # paid Mon-Thu, picked up Sat-Sun
    assert (
        cockpit["fulfillment"]["completed_orders"]
        == cockpit["fulfillment"]["picked_up_orders"]
        == summary["paid"]
    )
    assert cockpit["top_products"][0]["revenue_cents"] > 0
    # History in order: nobody ordered before joining, every order was paid after it was placed.
    from services.crm.models import Member

    joined = dict(opened["crm"].execute(select(Member.id, Member.created_at)).all())
    assert all(order.created_at >= joined[order.member_id] for order in paid)
    assert all(
        [change.at for change in order.timeline] == sorted(change.at for change in order.timeline)
        for order in paid
    )
    for session in opened.values():
        session.close()

    # Everything the replay caused was delivered: the services' relays have nothing left to send.
    from services.infra.messaging import OutboxMessage

    for maker in sessions.values():
        with maker() as session:
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.published_at.is_(None))
                )
                == 0
            )

    # A second run finds the community there and changes nothing.
    assert demo.generate(weeks=3, residents=60) is None


def test_a_timer_that_fails_under_the_demo_fails_the_demo_with_its_cause(
    tmp_path, monkeypatch, capsys
):
    from services.orders import payments

    monkeypatch.setenv("LINLI_DATA_DIR", str(tmp_path))
    demo = load_demo()

    def broken(session, now=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(payments, "expire_unpaid", broken)  # what orders' unpaid-timeout timer runs
    with pytest.raises(SystemExit) as exited:
        demo.main(weeks=1, residents=10)
    assert exited.value.code == 1
    printed = capsys.readouterr()
    assert "the timer orders.expire_unpaid_orders failed at" in printed.err
    assert "RuntimeError: disk full" in printed.err
    assert "done in" not in printed.out
