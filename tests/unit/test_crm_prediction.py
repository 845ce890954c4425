"""Repurchase prediction (智能预测) and reminders (复购提醒): the estimate on regular, irregular
and two-point histories; the stored predictions following purchases; reminder timing, once per
cycle, opt-out, quiet hours, re-bought; conversion within 3 days; ``reminder_stats``."""

from datetime import UTC, datetime, timedelta

import pytest

from services.crm import handlers
from services.crm.engagement import prediction, reminders
from services.crm.members import profiles
from services.crm.models import (
    Account,
    Base,
    Community,
    InboxMessage,
    Member,
    ProductInfo,
    Purchase,
    Reminder,
    RepurchasePrediction,
)

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai


def at(days):
    return NOW + timedelta(days=days)


def paid(days, *product_ids, status="paid"):
    return {
        "status": status,
        "placed_at": at(days),
        "lines": [{"product_id": p, "quantity": 1} for p in product_ids],
    }


# --- the pure estimate -----------------------------------------------------------------------


def test_a_regular_weekly_buyer_is_predicted_a_week_on_with_good_confidence():
    history = [paid(-7 * n, "milk") for n in range(6, 0, -1)]
    [found] = prediction.predict(history)
    assert found["product_id"] == "milk" and found["interval_days"] == 7.0
    assert found["next_due_at"] == at(-7) + timedelta(days=7)
    assert found["purchases"] == 6 and found["confidence"] >= 0.6


def test_an_outlier_gap_is_trimmed_and_recent_gaps_weigh_more():
    # Weekly, then one four-week holiday, then weekly again.
    days = [-63, -56, -49, -21, -14, -7]
    estimate = prediction.estimate([at(d) for d in days])
    assert estimate["interval_days"] == 7.0  # the 28-day gap does not stretch the interval
    regular = prediction.estimate([at(-7 * n) for n in range(6, 0, -1)])
    assert estimate["confidence"] < regular["confidence"]  # but the dispersion shows
    # A habit that changed from every 10 days to every 6: the estimate leans to the recent gaps.
    changing = prediction.estimate([at(d) for d in (-50, -40, -30, -20, -14, -8, -2)])
    assert 6 < changing["interval_days"] < 8


def test_an_irregular_buyer_gets_a_low_confidence_and_no_reminder():
    estimate = prediction.estimate([at(d) for d in (-120, -117, -80, -70, -12, -8)])
    assert estimate["confidence"] < prediction.REMINDER_MIN_CONFIDENCE


def test_two_purchases_give_their_gap_with_low_confidence_and_one_gives_nothing():
    estimate = prediction.estimate([at(-20), at(-10)])
    assert estimate["interval_days"] == 10.0 and estimate["next_due_at"] == at(0)
    assert estimate["confidence"] == pytest.approx(0.33, abs=0.01)
    assert prediction.estimate([at(-3)]) is None
    # Two orders the same day are one purchase (a top-up), not a one-hour cycle.
    assert prediction.estimate([at(-3), at(-3) + timedelta(hours=1)]) is None


def test_only_paid_orders_count_and_categories_are_predicted_too():
    products = {
        "milk": {"name": "鲜奶", "category": "乳品"},
        "yogurt": {"name": "酸奶", "category": "乳品"},
    }
    history = [
        paid(-30, "milk"),
        paid(-20, "yogurt"),
        paid(-10, "milk"),
        paid(-5, "milk", status="cancelled"),
        paid(-4, "milk", status="placed"),
    ]
    found = {p["key"]: p for p in prediction.predict(history, products)}
    assert set(found) == {"product:milk", "category:乳品"}
    assert (
        found["product:milk"]["interval_days"] == 20.0 and found["product:milk"]["name"] == "鲜奶"
    )
    assert (
        found["category:乳品"]["interval_days"] == 10.0
        and found["category:乳品"]["product_id"] is None
    )


# --- stored, and reminders -------------------------------------------------------------------


@pytest.fixture
def session(make_session):
    session = make_session(Base, "crm")
    with session.begin():
        session.add(
            Community(
                id="t1",
                slug="t1-slug",
                name="阳光团",
                leader_display_name="王姐",
                timezone="Asia/Shanghai",
                settings={},
            )
        )
        session.add(
            ProductInfo(
                product_id="milk",
                tenant_id="t1",
                name="鲜奶",
                category="乳品",
                tags=[],
                price_cents=1500,
            )
        )
        session.flush()
        for n, name in ((1, "李姐"), (2, "张哥")):
            session.add(
                Account(
                    id=f"a{n}",
                    tenant_id="t1",
                    phone=f"1390000000{n}",
                    password_hash="x",
                    role="member",
                    display_name=name,
                )
            )
            session.flush()
            session.add(
                Member(
                    id=f"m{n}",
                    tenant_id="t1",
                    account_id=f"a{n}",
                    name=name,
                    building="3",
                    unit="501",
                    status="active",
                    created_at=at(-200),
                    activated_at=at(-200),
                )
            )
    return session


def order_event(order_id, member_id, product_id, placed_at):
    return {
        "id": f"evt-{order_id}",
        "type": "order_paid",
        "tenant_id": "t1",
        "occurred_at": placed_at.isoformat(),
        "data": {
            "order_id": order_id,
            "member_id": member_id,
            "total_cents": 1500,
            "lines": [
                {"product_id": product_id, "name": "鲜奶", "quantity": 1, "unit_price_cents": 1500}
            ],
        },
    }


def buy(session, order_id, member_id, placed_at, product_id="milk"):
    """An order placed and paid, through crm's own read-model handlers."""
    event = order_event(order_id, member_id, product_id, placed_at)
    with session.begin():
        handlers.record_order_paid(
            session, {**event, "data": {**event["data"], "placed_at": placed_at.isoformat()}}
        )


def weekly(session, member_id="m1", last=-6):
    """Five weekly purchases, the last ``-last`` days ago: due in a day (at NOW + 1 day)."""
    for n, days in enumerate(range(last - 28, last + 1, 7)):
        buy(session, f"o-{member_id}-{n}", member_id, at(days))


def send(session, now):
    with session.begin():
        return reminders.send_due(session, session.get(Community, "t1"), now)


def test_predictions_follow_purchases_and_show_on_the_member(session, caller):
    weekly(session)
    with session.begin():
        view = handlers.get_member(session, caller("leader", tenant_id="t1"), "m1")
    milk = view["repurchase_predictions"][0]
    assert milk["product_id"] == "milk" and milk["name"] == "鲜奶" and milk["interval_days"] == 7.0
    assert milk["next_due_at"] == at(1).isoformat() and milk["confidence"] > 0.5
    assert {p["category"] for p in view["repurchase_predictions"]} == {None, "乳品"}
    # Re-bought: the prediction moves on to the next cycle.
    buy(session, "o-new", "m1", at(0))
    with session.begin():
        row = session.get(RepurchasePrediction, ("m1", "product:milk"))
    assert row.last_purchase_at == at(0) and at(6) < row.next_due_at < at(
        7
    )  # the last gap was 6 days
    due = row.next_due_at
    # A community-wide refresh (the daily timer) gives the same rows.
    with session.begin():
        assert prediction.refresh_community(session, "t1") == 2
        assert session.get(RepurchasePrediction, ("m1", "product:milk")).next_due_at == due


def test_reminder_goes_the_day_before_at_the_reminder_hour_once_per_cycle(session):
    weekly(
        session
    )  # due at NOW + 1 day = 2026-11-25 12:00 local; remind from 2026-11-24 10:00 local
    assert send(session, datetime(2026, 11, 24, 1, 59, tzinfo=UTC)) == 0  # 09:59 local: not yet
    assert send(session, datetime(2026, 11, 24, 2, 0, tzinfo=UTC)) == 1  # 10:00 local
    assert send(session, datetime(2026, 11, 24, 3, 0, tzinfo=UTC)) == 0  # once per cycle
    with session.begin():
        [message] = session.query(InboxMessage).filter_by(kind="repurchase_reminder").all()
        [reminder] = session.query(Reminder).all()
    assert (
        message.member_id == "m1"
        and message.params["name"] == "李姐"
        and message.params["product"] == "鲜奶"
    )
    assert reminder.due_on == "2026-11-25"
    from services.crm.notifications import messages

    text = messages.render(message.kind, message.params, "Asia/Shanghai")
    assert text["body"].startswith("李姐,您上次订的鲜奶快用完了吧")


def test_the_reminder_hour_is_the_communitys_setting(session):
    weekly(session)
    with session.begin():
        session.get(Community, "t1").settings = {"reminder_hour": 18}
    assert send(session, datetime(2026, 11, 24, 9, 59, tzinfo=UTC)) == 0  # 17:59 local
    assert send(session, datetime(2026, 11, 24, 10, 0, tzinfo=UTC)) == 1


def test_no_reminder_in_quiet_hours_nor_after_the_due_moment(session):
    weekly(session)
    with session.begin():
        session.get(Community, "t1").settings = {
            "reminder_hour": 22,
            "quiet_hours": {"start": "21:00", "end": "08:00"},
        }
    assert send(session, datetime(2026, 11, 24, 14, 30, tzinfo=UTC)) == 0  # 22:30 local: quiet
    assert (
        send(session, datetime(2026, 11, 24, 23, 59, tzinfo=UTC)) == 0
    )  # 07:59 local: still quiet
    assert (
        send(session, datetime(2026, 11, 25, 0, 0, tzinfo=UTC)) == 1
    )  # 08:00 local: what waited goes
    # Past the due moment nothing goes for that cycle.
    weekly(session, "m2")
    assert send(session, at(1) + timedelta(minutes=1)) == 0


def test_no_reminder_to_a_member_who_opted_out_or_already_rebought(session, caller):
    weekly(session, "m1")
    weekly(session, "m2")
    with session.begin():
        profiles.update_me(
            session, caller("member", tenant_id="t1", member_id="m1"), {"reminders_opt_out": True}
        )
        # m2 ordered again (not yet paid): the prediction still counts from the last paid one.
        session.add(
            Purchase(
                order_id="o-m2-again",
                tenant_id="t1",
                member_id="m2",
                status="placed",
                total_cents=1500,
                lines=[{"product_id": "milk", "quantity": 1}],
                placed_at=at(-0.5),
            )
        )
    assert send(session, NOW) == 0
    with session.begin():
        assert session.query(Reminder).count() == 0


def test_a_reminder_converts_when_the_product_is_ordered_and_paid_within_3_days(session):
    weekly(session, "m1")
    weekly(session, "m2")
    assert send(session, NOW) == 2
    buy(session, "o-m1-conv", "m1", NOW + timedelta(days=2, hours=23))  # within 3 days
    buy(session, "o-m2-late", "m2", NOW + timedelta(days=3, hours=1))  # too late
    with session.begin():
        by_member = {r.member_id: r for r in session.query(Reminder)}
        assert by_member["m1"].converted_order_id == "o-m1-conv"
        assert by_member["m2"].converted_order_id is None
        assert reminders.reminder_stats(
            session, "t1", NOW - timedelta(hours=1), NOW + timedelta(hours=1)
        ) == {"sent": 2, "converted": 1}
        assert reminders.reminder_stats(
            session, "t1", NOW + timedelta(hours=1), NOW + timedelta(days=9)
        ) == {"sent": 0, "converted": 0}
        assert reminders.reminder_stats(
            session, "other", NOW - timedelta(days=1), NOW + timedelta(days=1)
        ) == {"sent": 0, "converted": 0}


def test_an_order_of_another_product_does_not_convert(session):
    weekly(session, "m1")
    assert send(session, NOW) == 1
    buy(session, "o-eggs", "m1", NOW + timedelta(days=1), product_id="eggs")
    with session.begin():
        assert session.query(Reminder).one().converted_order_id is None


def test_quiet_hours_and_reminder_hour_settings(session, caller):
    from services.crm.community import settings
    from services.infra.errors import Invalid

    def quiet(start, end, hour, minute=0):
        return settings.in_quiet_hours(
            {"start": start, "end": end}, datetime(2026, 1, 1, hour, minute)
        )

    assert (
        quiet("21:00", "08:00", 21)
        and quiet("21:00", "08:00", 3)
        and not quiet("21:00", "08:00", 8)
    )
    assert (
        quiet("12:00", "14:00", 13, 59)
        and not quiet("12:00", "14:00", 14)
        and not quiet("12:00", "14:00", 11)
    )
    assert not quiet("00:00", "00:00", 3)  # start = end: none
    leader = caller("leader", tenant_id="t1")
    with session.begin():
        assert settings.get_settings(session, leader)["quiet_hours"] == {
            "start": "21:00",
            "end": "08:00",
        }
        assert settings.get_settings(session, leader)["reminder_hour"] == 10
    for bad in (
        {"reminder_hour": 24},
        {"quiet_hours": {"start": "25:00", "end": "08:00"}},
        {"quiet_hours": {"start": "21:00"}},
        {"reminder_hour": "10"},
    ):
        with pytest.raises(Invalid), session.begin():
            settings.update_settings(session, leader, bad)
    with session.begin():
        assert settings.update_settings(session, leader, {"reminder_hour": 8})["reminder_hour"] == 8
