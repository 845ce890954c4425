"""The cockpit figures (数据驾驶舱) crm, catalog, referral and fulfillment answer for, on known
rows."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import OTHER_TENANT, TENANT

from services.catalog import models as catalog_models
from services.catalog import stats as catalog_stats
from services.crm import models as crm_models
from services.crm.engagement import stats as crm_stats
from services.fulfillment import models as fulfillment_models
from services.fulfillment import stats as fulfillment_stats
from services.infra.errors import Forbidden
from services.referral import models as referral_models
from services.referral import stats as referral_stats


def shanghai(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def add(session, *rows):
    with session.begin():
        session.add_all(rows)


def ask(
    module,
    session,
    caller,
    date_from="2026-03-02",
    date_to="2026-03-03",
    role="leader",
    tenant_id=TENANT,
):
    with session.begin():
        return module.dashboard_stats(
            session, caller(role, tenant_id=tenant_id), date_from, date_to, "Asia/Shanghai"
        )


def test_crm_members_and_reminders(make_session, caller):
    session = make_session(crm_models.Base, "crm")
    add(
        session,
        crm_models.Community(
            id=TENANT, slug="a", name="A", leader_display_name="L", timezone="Asia/Shanghai"
        ),
    )
    n = iter(range(100))

    def member(joined, status="active", tenant_id=TENANT, activated=None):
        number = next(n)
        account = crm_models.Account(
            id=f"acc{number}",
            tenant_id=tenant_id,
            phone=f"138{number:08d}",
            password_hash="x",
            role="member",
            display_name="m",
        )
        return [
            account,
            crm_models.Member(
                id=f"m{number}",
                tenant_id=tenant_id,
                account_id=account.id,
                name="m",
                building="1",
                unit="101",
                status=status,
                created_at=joined,
                activated_at=activated,
            ),
        ]

    add(session, crm_models.Community(id=OTHER_TENANT, slug="b", name="B", leader_display_name="L"))
    add(
        session,
        *member(shanghai(1, 12)),  # before the range: only in the total
        *member(shanghai(2, 9)),
        *member(shanghai(3, 0, 10)),  # 00:10 on the 3rd (the 2nd in UTC)
        *member(shanghai(3, 11), status="pending"),  # not admitted: not counted
        *member(shanghai(4, 9)),  # after the range
        *member(shanghai(2, 9), tenant_id=OTHER_TENANT),
        *member(
            shanghai(1, 9), activated=shanghai(3, 8)
        ),  # waited for approval: admitted on the 3rd
        *member(shanghai(3, 9), activated=shanghai(5, 8)),
    )  # approved after the range

    def reminder(member_id, at, converted=None, tenant_id=TENANT):
        return crm_models.Reminder(
            tenant_id=tenant_id,
            member_id=member_id,
            product_id="milk",
            due_on=at.date().isoformat(),
            sent_at=at,
            converted_order_id=converted,
        )

    add(
        session,
        reminder("m1", shanghai(2, 10), converted="o1"),
        reminder("m2", shanghai(2, 10)),
        reminder("m3", shanghai(3, 10), converted="o3"),
        reminder("m0", shanghai(1, 10), converted="o0"),  # sent before the range
        reminder("m9", shanghai(2, 10), tenant_id=OTHER_TENANT),
    )

    figures = ask(crm_stats, session, caller)
    assert figures == {
        "timezone": "Asia/Shanghai",
        "from": "2026-03-02",
        "to": "2026-03-03",
        "new_members": 3,
        "members_total": 4,
        "reminders": {"sent": 3, "converted": 2},
        "daily": [
            {"date": "2026-03-02", "new_members": 1},
            {"date": "2026-03-03", "new_members": 2},
        ],
    }
    with pytest.raises(Forbidden), session.begin():
        crm_stats.dashboard_stats(session, caller("member"), "2026-03-02", "2026-03-03")


def test_catalog_live_sessions_started_in_the_range(make_session, caller):
    session = make_session(catalog_models.Base, "catalog")

    def live(live_id, started_at, tenant_id=TENANT):
        return catalog_models.LiveSession(
            id=live_id,
            tenant_id=tenant_id,
            title="t",
            host_persona="h",
            scheduled_at=started_at or shanghai(2, 19),
            started_at=started_at,
            status="ended" if started_at else "scheduled",
            peak_viewers=0,
        )

    keys = iter(range(100))

    def reservation(live_id, member_id, status="reserved", tenant_id=TENANT):
        return catalog_models.StockReservation(
            tenant_id=tenant_id,
            reservation_key=f"order-{next(keys)}",
            status=status,
            lines=[],
            channel_type="live",
            channel_id=live_id,
            member_id=member_id,
            total_cents=100,
        )

    add(
        session,
        live("w1", shanghai(2, 19)),
        live("w2", shanghai(3, 19)),
        live("old", shanghai(1, 19)),
        live("never", None),
        live("theirs", shanghai(2, 19), tenant_id=OTHER_TENANT),
    )
    add(
        session,
        *[
            catalog_models.LiveViewer(session_id=s, member_id=m)
            for s, m in [
                ("w1", "a"),
                ("w1", "b"),
                ("w1", "c"),
                ("w1", "d"),
                ("w2", "a"),
                ("w2", "e"),
                ("old", "a"),
                ("theirs", "x"),
            ]
        ],
    )
    add(
        session,
        reservation("w1", "a"),
        reservation("w1", "a"),
        reservation("w1", "b"),
        reservation("w1", "c", status="released"),  # cancelled: not a buyer
        reservation("w2", "a"),
        reservation("old", "a"),
        reservation("theirs", "x", tenant_id=OTHER_TENANT),
    )
    assert ask(catalog_stats, session, caller) == {
        "live": {"sessions": 2, "viewers": 6, "buyers": 3, "conversion_rate": 0.5}
    }
    assert ask(catalog_stats, session, caller, "2026-01-01", "2026-01-31")["live"] == {
        "sessions": 0,
        "viewers": 0,
        "buyers": 0,
        "conversion_rate": 0,
    }


def test_referral_invited_and_rewarded(make_session, caller):
    session = make_session(referral_models.Base, "referral")

    def referral(invitee, created_at, status="joined", rewarded_at=None, tenant_id=TENANT):
        return referral_models.Referral(
            invitee_member_id=invitee,
            tenant_id=tenant_id,
            referrer_member_id="r",
            code="C",
            status=status,
            created_at=created_at,
            rewarded_at=rewarded_at,
        )

    add(
        session,
        referral("i1", shanghai(2, 9)),
        referral(
            "i2", shanghai(1, 9), status="rewarded", rewarded_at=shanghai(3, 9)
        ),  # invited before
        referral("i3", shanghai(3, 9), status="rewarded", rewarded_at=shanghai(3, 20)),
        referral("i4", shanghai(2, 9), status="revoked", rewarded_at=shanghai(2, 20)),
        referral("i5", shanghai(2, 9), tenant_id=OTHER_TENANT),
    )
    assert ask(referral_stats, session, caller) == {"referrals": {"invited": 3, "rewarded": 2}}


def test_fulfillment_completed_orders(make_session, caller):
    session = make_session(fulfillment_models.Base, "fulfillment")

    def order(order_id, picked_up_at, tenant_id=TENANT):
        return fulfillment_models.FulfillmentOrder(
            order_id=order_id,
            tenant_id=tenant_id,
            member_id="m",
            channel_type="wave",
            items=[],
            total_quantity=1,
            status="completed" if picked_up_at else "ready_for_pickup",
            picked_up_at=picked_up_at,
        )

    add(
        session,
        order("o1", shanghai(2, 18)),
        order("o2", shanghai(3, 23, 59)),
        order("o3", shanghai(4, 0, 1)),
        order("o4", None),
        order("o5", shanghai(2, 18), tenant_id=OTHER_TENANT),
    )
    figures = ask(fulfillment_stats, session, caller)
    assert figures["completed_orders"] == 2
    assert (figures["from_at"], figures["to_at"]) == (
        "2026-03-01T16:00:00+00:00",
        "2026-03-03T16:00:00+00:00",
    )
