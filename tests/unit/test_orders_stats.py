"""Orders' cockpit figures (数据驾驶舱): each one to the fen, on the community's calendar days."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import OTHER_TENANT, FakeCatalog, FakeCrm, envelope

from services.infra.db import set_clock
from services.infra.errors import Forbidden, Invalid
from services.orders import fulfilment_events, handlers, payments, stats
from services.orders.models import Base

PROVIDERS = {
    "offline": payments.OfflineProvider(),
    "sandbox": payments.SandboxProvider("http://linli.test", 0),
}
SHANGHAI = 8
PRICES = {"milk": ("牛奶", 1290), "eggs": ("土鸡蛋", 2600)}


@pytest.fixture
def session(make_session):
    return make_session(Base, "orders")


@pytest.fixture(autouse=True)
def real_clock_after():
    yield
    set_clock(None)


def at_local(day, hour, minute=0):
    """A Shanghai wall-clock moment as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=SHANGHAI)


def paid_order(session, caller, member_id, items, when, tenant_id="tenant-a"):
    set_clock(lambda: when)
    member = caller("member", member_id=member_id, tenant_id=tenant_id)
    placed = handlers.place_order(
        session,
        FakeCatalog(PRICES, unit="份"),
        FakeCrm(),
        member,
        {"items": [{"product_id": p, "quantity": q} for p, q in items]},
    )
    with session.begin():
        payments.mark_paid_offline(
            session, caller("leader", tenant_id=tenant_id), PROVIDERS, placed["id"]
        )
    return placed["id"]


def picked_up(session, order_id, when):
    set_clock(lambda: when)
    event = envelope(
        "order_picked_up",
        {"order_id": order_id, "member_id": "m", "at": when.isoformat()},
        "tenant-a",
        correlation_id="c",
    )
    with session.begin():
        fulfilment_events.apply_order_picked_up(session, event)


@pytest.fixture
def history(session, caller):
    """A's two orders (the second partly refunded), B's just after local midnight (still the
    2nd in UTC), C's cancelled after payment, D's never paid, and another community's order."""
    leader = caller("leader")
    first = paid_order(session, caller, "A", [("milk", 2)], at_local(2, 10))  # 2580
    picked_up(session, first, at_local(3, 12))  # 26 h later
    paid_order(session, caller, "B", [("milk", 1)], at_local(3, 0, 30))  # 1290
    second = paid_order(session, caller, "A", [("milk", 1), ("eggs", 1)], at_local(3, 9))  # 3890
    with session.begin():
        payments.refund_order(
            session, leader, PROVIDERS, second, {"amount_cents": 500, "reason": "蛋碎了一个"}
        )
    cancelled = paid_order(session, caller, "C", [("eggs", 4)], at_local(3, 11))
    with session.begin():
        payments.cancel_order(session, leader, PROVIDERS, cancelled)
    set_clock(lambda: at_local(3, 12))
    handlers.place_order(
        session,
        FakeCatalog(PRICES, unit="份"),
        FakeCrm(),
        caller("member", member_id="D"),
        {"items": [{"product_id": "eggs", "quantity": 1}]},
    )
    paid_order(session, caller, "X", [("eggs", 9)], at_local(3, 13), tenant_id=OTHER_TENANT)
    set_clock(None)


EXPECTED = {
    "gmv_cents": 2580 + 1290 + 3890 - 500,
    "orders": 3,
    "paying_members": 2,
    "aov_cents": round(7260 / 3),
    "repurchase_rate": 0.5,
    "top_products": [
        {"product_id": "milk", "name": "牛奶", "quantity": 4, "revenue_cents": 5160},
        {"product_id": "eggs", "name": "土鸡蛋", "quantity": 1, "revenue_cents": 2600},
    ],
    "fulfillment": {"avg_paid_to_completed_hours": 26.0, "completed_orders": 1},
    "daily": [
        {"date": "2026-03-02", "gmv_cents": 2580, "orders": 1},
        {"date": "2026-03-03", "gmv_cents": 1290 + 3890 - 500, "orders": 2},
    ],
}


def figures(
    session, caller, date_from="2026-03-02", date_to="2026-03-03", timezone="Asia/Shanghai"
):
    with session.begin():
        return stats.dashboard_stats(session, caller("leader"), date_from, date_to, timezone)


def test_each_figure_to_the_fen(session, caller, history):
    assert figures(session, caller) == EXPECTED


def test_days_are_the_community_s_days(session, caller, history):
    only_third = figures(session, caller, "2026-03-03", "2026-03-03")
    assert (only_third["gmv_cents"], only_third["orders"], only_third["paying_members"]) == (
        4680,
        2,
        2,
    )
    assert only_third["repurchase_rate"] == 0  # A's first order was on the 2nd
    assert only_third["fulfillment"]["avg_paid_to_completed_hours"] == 26.0  # completed on the 3rd
    # In UTC, B's order (00:30 on the 3rd in Shanghai) falls on the 2nd.
    utc = figures(session, caller, "2026-03-02", "2026-03-02", "UTC")
    assert (utc["gmv_cents"], utc["orders"]) == (2580 + 1290, 2)


def test_an_empty_range_and_a_stranger_s_view(session, caller, history):
    empty = figures(session, caller, "2026-01-01", "2026-01-02")
    assert (empty["gmv_cents"], empty["orders"], empty["aov_cents"], empty["repurchase_rate"]) == (
        0,
        0,
        0,
        0,
    )
    assert empty["fulfillment"]["avg_paid_to_completed_hours"] is None
    assert [day["orders"] for day in empty["daily"]] == [0, 0]
    with session.begin():
        other = stats.dashboard_stats(
            session, caller("leader", tenant_id=OTHER_TENANT), "2026-03-03", "2026-03-03"
        )
    assert (other["gmv_cents"], other["orders"]) == (9 * 2600, 1)


def test_rebuilding_from_the_orders_gives_the_same_figures(session, caller, history):
    with session.begin():
        stats.rebuild(session)
    assert figures(session, caller) == EXPECTED


def test_members_and_bad_ranges_are_refused(session, caller):
    with pytest.raises(Forbidden), session.begin():
        stats.dashboard_stats(session, caller("member"), "2026-03-01", "2026-03-02")
    for date_from, date_to in [
        ("2026-03-02", "2026-03-01"),
        ("2025-01-01", "2026-03-01"),
        ("nope", "2026-03-01"),
    ]:
        with pytest.raises(Invalid), session.begin():
            stats.dashboard_stats(session, caller("leader"), date_from, date_to)
