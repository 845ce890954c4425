"""The platform operator in crm: a login from configuration only (rate limited, audited), the
communities with their size and activity, suspension and resumption (CAS, events, the notice
members see), failing deliveries across communities, and the audit trail."""

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from services.crm import handlers
from services.crm.accounts import identity as crm_identity
from services.crm.members import joining
from services.crm.models import Base, Delivery, Purchase
from services.crm.operator import audit, communities
from services.infra.context import Caller
from services.infra.db import utcnow
from services.infra.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, Unauthorized
from services.infra.messaging import OutboxMessage

PHONE, PASSWORD = "13900000009", "operator-secret-1"
CONFIG = {"OPERATOR_PHONE": PHONE, "OPERATOR_PASSWORD_HASH": PasswordHasher().hash(PASSWORD)}
OPERATOR = Caller(account_id="operator", role="operator")


@pytest.fixture
def session(make_session):
    return make_session(Base, "crm")


def signup(session, anonymous, slug="sunny-garden", phone="13800000001"):
    with session.begin():
        return crm_identity.signup_leader(
            session,
            anonymous,
            {
                "community_name": "Sunny Garden",
                "slug": slug,
                "phone": phone,
                "password": PASSWORD,
                "display_name": "Auntie Wang",
            },
        )


def join(session, anonymous, slug="sunny-garden", phone="15800000001"):
    with session.begin():
        return joining.join_community(
            session,
            anonymous,
            slug,
            {
                "phone": phone,
                "password": "member-secret-1",
                "name": "Li",
                "building": "1",
                "unit": "101",
            },
        )


def caller_of(identity):
    return Caller(
        tenant_id=identity["tenant_id"],
        account_id=identity["account_id"],
        member_id=identity.get("member_id"),
        role=identity["role"],
    )


def entries(session, **query):
    with session.begin():
        return audit.list_audit(session, OPERATOR, query)["items"]


def test_the_operator_logs_in_from_configuration_only(session):
    identity = audit.operator_login(session, CONFIG, {"phone": PHONE, "password": PASSWORD})
    assert identity == {
        "account_id": "operator",
        "tenant_id": None,
        "role": "operator",
        "community": None,
    }
    with pytest.raises(Unauthorized):
        audit.operator_login(session, CONFIG, {"phone": PHONE, "password": "wrong-password"})
    as_number = {
        **CONFIG,
        "OPERATOR_PHONE": int(PHONE),
    }  # how nameko's config reads it from the environment
    assert (
        audit.operator_login(session, as_number, {"phone": PHONE, "password": PASSWORD})["role"]
        == "operator"
    )
    with pytest.raises(Unauthorized):  # nothing configured: nobody is the operator
        audit.operator_login(session, {}, {"phone": PHONE, "password": PASSWORD})
    with pytest.raises(Invalid):
        audit.operator_login(session, CONFIG, {"phone": "x", "password": PASSWORD})
    logged = entries(session, action="login")
    assert [e["outcome"] for e in logged] == ["refused", "ok", "refused", "ok"]
    assert all(PHONE not in str(e) for e in logged)  # the phone is kept masked


def test_the_operator_login_is_rate_limited(session):
    for _ in range(5):
        with pytest.raises(Unauthorized):
            audit.operator_login(session, CONFIG, {"phone": PHONE, "password": "wrong-password"})
    with pytest.raises(RateLimited):
        audit.operator_login(session, CONFIG, {"phone": PHONE, "password": PASSWORD})
    assert entries(session)[0]["details"] == {"reason": "login_rate_limited"}


def test_a_leaders_login_does_not_make_an_operator(session, anonymous):
    leader = caller_of(signup(session, anonymous))
    for call in (
        lambda: audit.list_audit(session, leader, {}),
        lambda: communities.list_communities(session, leader, {}),
        lambda: communities.list_deliveries(session, leader, {}),
        lambda: audit.record_action(
            session, leader, {"action": "replay", "target": "x", "outcome": "ok"}
        ),
    ):
        with session.begin(), pytest.raises(Forbidden):
            call()
    with pytest.raises(Forbidden):  # a forged operator role with a community is no operator either
        audit.require_operator(Caller(tenant_id=leader.tenant_id, account_id="x", role="operator"))


def test_communities_with_size_and_activity(session, anonymous):
    tenant = signup(session, anonymous)["tenant_id"]
    signup(session, anonymous, slug="rainy-court", phone="13800000002")
    join(session, anonymous)
    now = utcnow()
    with session.begin():
        for order_id, days in (("o1", 1), ("o2", 29), ("o3", 31)):
            session.add(
                Purchase(
                    order_id=order_id,
                    tenant_id=tenant,
                    member_id="m",
                    status="paid",
                    total_cents=100,
                    lines=[],
                    placed_at=now - timedelta(days=days),
                )
            )
    with session.begin():
        listed = {
            c["slug"]: c
            for c in communities.list_communities(session, OPERATOR, {}, now=now)["items"]
        }
    assert listed["sunny-garden"]["members_total"] == 1
    assert listed["sunny-garden"]["orders_last_30_days"] == 2
    assert listed["sunny-garden"]["leader"] == {
        "display_name": "Auntie Wang",
        "phone": "13800000001",
    }
    assert (listed["rainy-court"]["members_total"], listed["rainy-court"]["status"]) == (
        0,
        "active",
    )


def test_suspend_and_resume(session, anonymous):
    signup(session, anonymous)
    member = caller_of(join(session, anonymous))
    suspended = audit.audited(
        session,
        OPERATOR,
        "suspend",
        "sunny-garden",
        lambda: communities.suspend(session, OPERATOR, "sunny-garden", {"reason": "未付平台费"}),
    )
    assert suspended["status"] == "suspended"
    with session.begin():
        me = handlers.get_me(session, member)
        card = joining.get_community_card(session, "sunny-garden")
    assert (me["community"]["suspended"], me["community"]["suspended_reason"]) == (
        True,
        "未付平台费",
    )
    assert (card["suspended"], card["suspended_reason"]) == (True, "未付平台费")
    with pytest.raises(Conflict):  # twice: refused, and audited as refused
        audit.audited(
            session,
            OPERATOR,
            "suspend",
            "sunny-garden",
            lambda: communities.suspend(session, OPERATOR, "sunny-garden", {"reason": "again"}),
        )
    with pytest.raises(NotFound):
        audit.audited(
            session,
            OPERATOR,
            "resume",
            "nowhere",
            lambda: communities.resume(session, OPERATOR, "nowhere"),
        )
    audit.audited(
        session,
        OPERATOR,
        "resume",
        "sunny-garden",
        lambda: communities.resume(session, OPERATOR, "sunny-garden"),
    )
    with session.begin():
        assert handlers.get_me(session, member)["community"]["suspended"] is False
        sent = [
            m.event_type for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
    assert sent[-2:] == ["community_suspended", "community_resumed"]
    assert [(e["action"], e["outcome"]) for e in entries(session)] == [
        ("resume", "ok"),
        ("resume", "refused"),
        ("suspend", "refused"),
        ("suspend", "ok"),
    ]


def test_failing_deliveries_across_communities(session, anonymous):
    tenant = signup(session, anonymous)["tenant_id"]
    with session.begin():
        for status in ("failed", "delivered"):
            session.add(
                Delivery(
                    tenant_id=tenant,
                    channel_id="c",
                    kind="order_paid",
                    subject="s",
                    body="b",
                    status=status,
                    attempts=5,
                    last_error="HTTP 500" if status == "failed" else None,
                )
            )
    with session.begin():
        failed = communities.list_deliveries(session, OPERATOR, {})["items"]
    assert [(d["community"], d["status"], d["last_error"]) for d in failed] == [
        ("sunny-garden", "failed", "HTTP 500")
    ]


def test_the_gateway_records_its_actions(session):
    with session.begin():
        audit.record_action(
            session, OPERATOR, {"action": "replay", "target": "orders/7", "outcome": "ok"}
        )
    assert entries(session)[0] == {
        **entries(session)[0],
        "actor": "operator",
        "action": "replay",
        "target": "orders/7",
        "outcome": "ok",
    }
    with session.begin(), pytest.raises(Invalid):
        audit.record_action(
            session, OPERATOR, {"action": "delete_everything", "target": "x", "outcome": "ok"}
        )
