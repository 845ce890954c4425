"""Communities, accounts and members; the purchase read model."""

import pytest

from services.crm import handlers
from services.crm.accounts import identity as crm_identity
from services.crm.members import joining, profiles
from services.crm.models import Account, Base
from services.infra.errors import Conflict, Invalid, NotFound, Unauthorized
from services.infra.messaging import OutboxMessage

PASSWORD = "correct horse battery"


@pytest.fixture
def session(make_session):
    return make_session(Base, "crm")


def signup(session, anonymous, slug="sunny-garden", phone="13800000001", password=PASSWORD):
    payload = {
        "community_name": "Sunny Garden",
        "slug": slug,
        "phone": phone,
        "password": password,
        "display_name": "Auntie Wang",
    }
    with session.begin():
        return crm_identity.signup_leader(session, anonymous, payload)


def join(session, anonymous, slug="sunny-garden", phone="13900000001", password=PASSWORD, **extra):
    payload = {
        "phone": phone,
        "password": password,
        "name": "Xiao Li",
        "building": "3",
        "unit": "501",
        **extra,
    }
    with session.begin():
        return joining.join_community(session, anonymous, slug, payload)


def login(session, **payload):
    return handlers.authenticate(session, {"password": PASSWORD, **payload})


def outbox(session):
    with session.begin():
        return [row.payload for row in session.query(OutboxMessage).order_by(OutboxMessage.id)]


def test_signup_creates_the_tenant_and_its_leader(session, anonymous):
    identity = signup(session, anonymous)
    assert identity["role"] == "leader" and identity["member_id"] is None
    assert identity["community"]["slug"] == "sunny-garden"
    assert identity["tenant_id"] == identity["community"]["id"]
    (event,) = outbox(session)
    assert (
        event["event_type"] == "community_created" and event["tenant_id"] == identity["tenant_id"]
    )
    with session.begin():
        account = session.get(Account, identity["account_id"])
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


def test_slug_taken_is_a_conflict(session, anonymous):
    signup(session, anonymous)
    with pytest.raises(Conflict) as raised:
        signup(session, anonymous, phone="13800000002")
    assert "slug" in raised.value.extra["errors"]


def test_signup_validates(session, anonymous):
    with pytest.raises(Invalid) as raised:
        signup(session, anonymous, slug="Not A Slug", phone="12345", password="short")
    assert set(raised.value.extra["errors"]) == {"slug", "phone", "password"}


def test_authenticate(session, anonymous):
    leader = signup(session, anonymous)
    identity = login(session, phone="13800000001")
    assert identity["account_id"] == leader["account_id"] and identity["role"] == "leader"
    with pytest.raises(Unauthorized):
        handlers.authenticate(session, {"phone": "13800000001", "password": "wrong password"})
    with pytest.raises(Unauthorized):
        login(session, phone="13700000000")  # unknown phone: the same answer


def test_phone_in_two_communities_needs_the_community(session, anonymous):
    signup(session, anonymous, slug="sunny-garden", phone="13800000001")
    signup(session, anonymous, slug="green-court", phone="13800000002")
    joined = join(session, anonymous, slug="green-court", phone="13800000001")
    with pytest.raises(Conflict) as raised:
        login(session, phone="13800000001")
    assert sorted(raised.value.extra["communities"]) == ["green-court", "sunny-garden"]
    assert "community" in raised.value.extra["errors"]

    as_member = login(session, phone="13800000001", community="green-court")
    assert as_member["role"] == "member" and as_member["member_id"] == joined["member_id"]
    as_leader = login(session, phone="13800000001", community="sunny-garden")
    assert as_leader["role"] == "leader" and as_leader["member_id"] is None


def test_join(session, anonymous):
    leader = signup(session, anonymous)
    joined = join(session, anonymous, invite_code="ABCD1234", birthday="1990-05-01")
    assert joined["role"] == "member" and joined["tenant_id"] == leader["tenant_id"]
    assert joined["member"]["status"] == "active" and joined["member_id"] == joined["member"]["id"]
    event = outbox(session)[-1]
    assert event["event_type"] == "member_joined" and event["tenant_id"] == leader["tenant_id"]
    assert event["data"]["community_slug"] == "sunny-garden"
    assert event["data"]["member_id"] == joined["member_id"]
    assert event["data"]["invite_code"] == "ABCD1234"

    with pytest.raises(Conflict) as raised:
        join(session, anonymous)
    assert (
        "phone" in raised.value.extra["errors"] and raised.value.extra["reason"] == "already_member"
    )
    with pytest.raises(Conflict) as raised:  # the leader's phone (or a helper's, even removed)
        join(session, anonymous, phone="13800000001")
    assert raised.value.extra["reason"] == "phone_is_staff"
    with pytest.raises(NotFound):
        join(session, anonymous, slug="no-such-place", phone="13900000002")
    with session.begin():
        card = joining.get_community_card(session, "sunny-garden")
    assert card == {
        "slug": "sunny-garden",
        "name": "Sunny Garden",
        "leader_display_name": "Auntie Wang",
        "members_total": 1,
        "suspended": False,
        "suspended_reason": None,
    }


def order_event(order_id, member_id, tenant_id, total_cents, event_id=None):
    return {
        "event_id": event_id or f"event-{order_id}",
        "event_type": "order_paid",
        "version": 1,
        "occurred_at": "2026-11-24T10:00:00+00:00",
        "tenant_id": tenant_id,
        "correlation_id": None,
        "data": {
            "order_id": order_id,
            "member_id": member_id,
            "total_cents": total_cents,
            "subtotal_cents": total_cents,
            "placed_at": "2026-11-24T10:00:00+00:00",
            "lines": [
                {
                    "product_id": "p1",
                    "name": "Apples",
                    "quantity": 1,
                    "unit_price_cents": total_cents,
                }
            ],
        },
    }


def test_get_me_with_order_stats(session, anonymous, caller):
    leader = signup(session, anonymous)
    joined = join(session, anonymous)
    tenant = leader["tenant_id"]
    with session.begin():
        handlers.record_order_paid(session, order_event("o1", joined["member_id"], tenant, 1250))
        handlers.record_order_paid(session, order_event("o2", joined["member_id"], tenant, 750))
        handlers.record_order_paid(session, order_event("o2", joined["member_id"], tenant, 750))
        handlers.record_order_paid(session, order_event("o3", "someone-else", tenant, 9999))
    me_caller = caller(
        "member", tenant_id=tenant, account_id=joined["account_id"], member_id=joined["member_id"]
    )
    with session.begin():
        me = handlers.get_me(session, me_caller)
    assert me["role"] == "member" and me["account"]["phone"] == "13900000001"
    assert me["member"]["order_stats"] == {
        "paid_orders": 2,
        "spent_cents": 2000,
        "last_order_at": "2026-11-24T10:00:00+00:00",
    }
    assert "password" not in str(me) and "argon2" not in str(me)

    # Cancelled and wholly refunded orders leave the history; a partial refund does not.
    with session.begin():
        handlers.record_order_cancelled(
            session, order_event("o1", joined["member_id"], tenant, 1250)
        )
        partial = order_event("o2", joined["member_id"], tenant, 750)
        partial["data"]["whole"] = False
        handlers.record_order_refunded(session, partial)
    with session.begin():
        assert handlers.get_me(session, me_caller)["member"]["order_stats"]["paid_orders"] == 1
        whole = order_event("o2", joined["member_id"], tenant, 750)
        whole["data"]["whole"] = True
        handlers.record_order_refunded(session, whole)
    with session.begin():
        assert handlers.get_me(session, me_caller)["member"]["order_stats"] == {
            "paid_orders": 0,
            "spent_cents": 0,
            "last_order_at": None,
        }

    with session.begin():
        leader_me = handlers.get_me(
            session, caller("leader", tenant_id=tenant, account_id=leader["account_id"])
        )
    assert leader_me["member"] is None and leader_me["role"] == "leader"
    with pytest.raises(Unauthorized), session.begin():
        handlers.get_me(
            session, caller("member", tenant_id="tenant-b", account_id=joined["account_id"])
        )


def test_get_me_says_whether_the_member_opted_out_of_reminders(session, anonymous, caller):
    leader = signup(session, anonymous)
    joined = join(session, anonymous)
    me_caller = caller(
        "member",
        tenant_id=leader["tenant_id"],
        account_id=joined["account_id"],
        member_id=joined["member_id"],
    )
    with session.begin():
        assert handlers.get_me(session, me_caller)["member"]["reminders_opt_out"] is False
    with session.begin():
        profiles.update_me(session, me_caller, {"reminders_opt_out": True})
    with session.begin():
        assert handlers.get_me(session, me_caller)["member"]["reminders_opt_out"] is True


def test_a_partial_refund_heard_before_the_payment_still_counts(session, anonymous):
    """Each event type has its own queue: order_refunded may reach crm before order_paid."""
    signup(session, anonymous)
    joined = join(session, anonymous)
    tenant, member_id = joined["tenant_id"], joined["member_id"]
    refund = order_event("o1", member_id, tenant, 1000, event_id="refunded-o1")
    refund["data"].update(whole=False, refunded_total_cents=400)
    with session.begin():
        handlers.record_order_refunded(session, refund)
    with session.begin():
        handlers.record_order_paid(
            session, order_event("o1", member_id, tenant, 1000, event_id="paid-o1")
        )
    with session.begin():
        stats = profiles.order_stats(session, tenant, member_id)
    assert (stats["paid_orders"], stats["spent_cents"]) == (1, 600)


def test_an_order_event_with_bad_data_is_refused(session):
    event = order_event("o1", "m1", "t1", 100)
    del event["data"]["total_cents"]
    with pytest.raises(Invalid), session.begin():
        handlers.record_order_paid(session, event)
