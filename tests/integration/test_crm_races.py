"""crm's state changes hold with concurrent workers on PostgreSQL (SQLite has one writer and
hides these races): a coupon and a points hold are given back once however many release them
at the same moment, and the daily tag refresh, run by two workers at once, refreshes each
community once; a community is suspended once however many suspend it at the same moment."""

import os
from datetime import UTC, datetime, timedelta
from unittest import mock

import eventlet
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from services.crm import handlers, loyalty
from services.crm.loyalty import coupons, ledger
from services.crm.models import Account, Community, Coupon, Member, PointsEntry
from services.crm.operator import communities
from services.infra.context import Caller
from services.infra.db import make_engine
from services.infra.errors import Conflict
from services.infra.messaging import OutboxMessage
from services.infra.migrations import upgrade

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        os.environ.get("LINLI_TEST_DB") != "postgres", reason="the races need PostgreSQL"
    ),
]

WORKERS = 6


@pytest.fixture
def Session(databases):
    url = databases.create("crm")
    upgrade("crm", url)
    engine = make_engine(url, green=True)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def community(Session, slug):
    with Session() as session, session.begin():
        tenant = Community(slug=slug, name=slug, leader_display_name="团长", settings={})
        session.add(tenant)
        session.flush()
        account = Account(
            tenant_id=tenant.id,
            phone="13800000000",
            password_hash="-",
            role="member",
            display_name="李姐",
        )
        session.add(account)
        session.flush()
        member = Member(
            tenant_id=tenant.id, account_id=account.id, name="李姐", building="3", unit="1"
        )
        session.add(member)
        session.flush()
        return tenant.id, member.id


@pytest.fixture
def held_checkout(Session):
    """A member with 100 points whose order o1 holds 30 of them and a coupon."""
    tenant_id, member_id = community(Session, "races")
    leader = Caller(tenant_id=tenant_id, role="leader", account_id="a-leader")
    member = Caller(tenant_id=tenant_id, role="member", member_id=member_id, account_id="a-member")
    with Session() as session, session.begin():
        loyalty.adjust_points(session, leader, member_id, {"delta": 100, "reason": "welcome"})
        coupon = loyalty.issue_coupon(
            session,
            tenant_id,
            member_id,
            {"kind": "fixed", "amount_cents": 500, "valid_days": 7},
            "manual",
            "manual:1",
        )
    with Session() as session, session.begin():
        loyalty.apply_checkout(
            session,
            member,
            {
                "order_id": "o1",
                "member_id": member_id,
                "subtotal_cents": 5000,
                "coupon_id": coupon.id,
                "points_to_use": 30,
            },
        )
    return {
        "tenant_id": tenant_id,
        "member_id": member_id,
        "member": member,
        "coupon_id": coupon.id,
    }


def test_concurrent_releases_of_one_coupon_release_it_once(Session, held_checkout):
    def release(_):
        with Session() as session, session.begin():
            seen = session.get(
                Coupon, held_checkout["coupon_id"]
            )  # every worker has seen it locked...
            eventlet.sleep(0.2)  # ...before any of them releases it
            return seen.status, coupons.release(session, held_checkout["coupon_id"], "o1")

    outcomes = list(eventlet.GreenPool(WORKERS).imap(release, range(WORKERS)))

    with Session() as session:
        coupon = session.get(Coupon, held_checkout["coupon_id"])
        seen = {
            "seen": {status for status, _ in outcomes},
            "released": [won for _, won in outcomes].count(True),
            "status": coupon.status,
            "order": coupon.locked_order_id,
        }
    assert seen == {"seen": {"locked"}, "released": 1, "status": "available", "order": None}


def test_concurrent_releases_of_one_points_hold_release_it_once(Session, held_checkout):
    original = ledger.lock_member

    def late_lock(
        *args, **kwargs
    ):  # every release has read the hold as held before the first commits
        eventlet.sleep(0.2)
        return original(*args, **kwargs)

    def release(_):
        with Session() as session, session.begin():
            return loyalty.release_checkout(session, held_checkout["member"], "o1")

    with mock.patch.object(ledger, "lock_member", late_lock):
        answers = list(eventlet.GreenPool(WORKERS).imap(release, range(WORKERS)))

    with Session() as session:
        released = session.scalar(
            select(func.count()).select_from(PointsEntry).where(PointsEntry.kind == "released")
        )
        coupon = session.get(Coupon, held_checkout["coupon_id"])
        seen = {
            "answers": answers,
            "released_entries": released,
            "coupon": coupon.status,
            "balance": ledger.balance(
                session, held_checkout["tenant_id"], held_checkout["member_id"]
            ),
        }
    assert seen == {
        "answers": [{"order_id": "o1", "status": "released"}] * WORKERS,
        "released_entries": 1,
        "coupon": "available",
        "balance": 100,
    }


def test_two_workers_refresh_each_community_once(Session):
    tenants = [community(Session, f"community-{n}")[0] for n in range(6)]
    refreshed = []
    original = handlers.refresh_community_tags

    def slow_refresh(session, tenant_id, now=None):
        refreshed.append(tenant_id)
        eventlet.sleep(0.1)  # the other worker reaches this community meanwhile
        return original(session, tenant_id, now)

    now = datetime.now(UTC)
    with mock.patch.object(handlers, "refresh_community_tags", slow_refresh):
        runs = list(
            eventlet.GreenPool(2).imap(lambda _: handlers.refresh_tags(Session(), now), range(2))
        )
        again = handlers.refresh_tags(
            Session(), now + timedelta(hours=1)
        )  # within the day: nothing

    assert sorted(refreshed) == sorted(tenants)
    assert sorted(runs[0] + runs[1]) == sorted(tenants) and again == []


def test_concurrent_suspensions_of_one_community_suspend_it_once(Session):
    """The platform operator's suspension is a compare-and-set: of workers suspending at the same
    moment (each having read the community as active), one wins and emits the one event."""
    community(Session, "suspended-once")
    operator = Caller(account_id="operator", role="operator")

    def suspend(n):
        with Session() as session:
            try:
                with session.begin():
                    session.scalars(
                        select(Community).where(Community.slug == "suspended-once")
                    ).one()
                    eventlet.sleep(
                        0.2
                    )  # every worker has read it as active before the first commits
                    communities.suspend(
                        session, operator, "suspended-once", {"reason": f"reason {n}"}
                    )
                return "suspended"
            except Conflict:
                return "conflict"

    outcomes = list(eventlet.GreenPool(WORKERS).imap(suspend, range(WORKERS)))
    with Session() as session:
        events = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.event_type == "community_suspended")
        )
        status = session.scalars(
            select(Community.status).where(Community.slug == "suspended-once")
        ).one()
    assert (sorted(outcomes), events, status) == (
        ["conflict"] * (WORKERS - 1) + ["suspended"],
        1,
        "suspended",
    )
