"""Money adds up for any cart and any sequence of partial refunds (integer fen throughout)."""

import pytest
from conftest import CrmInProcess, FakeCatalog, FakeCrm
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from services.crm import loyalty
from services.crm.models import Account, Community, Coupon, Member, PointsEntry, Purchase
from services.crm.models import Base as CrmBase
from services.infra.context import Caller
from services.infra.db import new_id, utcnow
from services.infra.errors import Conflict, Invalid
from services.orders import handlers, payments
from services.orders.models import Base

PROVIDERS = {
    "offline": payments.OfflineProvider(),
    "sandbox": payments.SandboxProvider("http://linli.test", 0),
}
MEMBER = Caller(tenant_id="t", account_id="a-m", member_id="m", role="member")
LEADER = Caller(tenant_id="t", account_id="a-l", role="leader")

carts = st.lists(
    st.tuples(
        st.sampled_from(["p1", "p2", "p3", "p4"]),
        st.integers(1, 999),
        st.one_of(st.integers(0, 5_000), st.integers(0, 10_000_000)),
    ),
    min_size=1,
    max_size=8,
)
refund_amounts = st.lists(st.integers(1, 10**9), max_size=6)


def priced_catalog(prices):
    return FakeCatalog({product: (product, price) for product, price in prices.items()})


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    from sqlalchemy.orm import sessionmaker

    from services.infra.db import make_engine
    from services.infra.messaging import MessagingBase

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('money') / 'orders.db'}")
    Base.metadata.create_all(engine)
    MessagingBase.metadata.create_all(engine)
    with sessionmaker(engine, expire_on_commit=False)() as session:
        yield session
    engine.dispose()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cart=carts, refunds=refund_amounts)
def test_totals_are_exact_and_refunds_never_exceed_payments(session, cart, refunds):
    prices = {product: price for product, _, price in cart}
    items = [{"product_id": product, "quantity": quantity} for product, quantity, _ in cart]
    expected = sum(prices[item["product_id"]] * item["quantity"] for item in items)
    if expected > handlers.MAX_ORDER_CENTS:
        with pytest.raises(Invalid):
            handlers.place_order(
                session, priced_catalog(prices), FakeCrm(), MEMBER, {"items": items}
            )
        return
    order = handlers.place_order(
        session, priced_catalog(prices), FakeCrm(), MEMBER, {"items": items}
    )
    assert order["subtotal_cents"] == expected
    assert order["total_cents"] == order["subtotal_cents"] - order["discount_cents"] >= 0

    with session.begin():
        payments.mark_paid_offline(session, LEADER, PROVIDERS, order["id"])
    refunded = 0
    for amount in refunds:
        try:
            with session.begin():
                result = payments.refund_order(
                    session,
                    LEADER,
                    PROVIDERS,
                    order["id"],
                    {"amount_cents": amount, "reason": "property"},
                )
        except Conflict:
            assert amount > order["total_cents"] - refunded or refunded == order["total_cents"]
            continue
        refunded += amount
        assert result["refunded_cents"] == refunded <= order["total_cents"]
        assert result["refundable_cents"] == order["total_cents"] - refunded >= 0


# --- with loyalty: tier discount, a coupon and points from crm's real checkout ---------------


@pytest.fixture(scope="module")
def crm_session(tmp_path_factory):
    from sqlalchemy.orm import sessionmaker

    from services.infra.db import make_engine
    from services.infra.messaging import MessagingBase

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('money-crm') / 'crm.db'}")
    CrmBase.metadata.create_all(engine)
    MessagingBase.metadata.create_all(engine)
    with sessionmaker(engine, expire_on_commit=False)() as session:
        with session.begin():
            session.add(Community(id="t", slug="money", name="团", leader_display_name="团长"))
            session.flush()
            session.add(
                Account(
                    id="a-m",
                    tenant_id="t",
                    phone="13900000000",
                    password_hash="-",
                    role="member",
                    display_name="m",
                )
            )
            session.flush()
            session.add(
                Member(id="m", tenant_id="t", account_id="a-m", name="m", building="1", unit="1")
            )
        yield session
    engine.dispose()


coupons = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "kind": st.just("fixed"),
            "amount_cents": st.integers(1, 200_000),
            "min_spend_cents": st.integers(0, 300_000),
            "valid_days": st.just(7),
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("percent"),
            "percent": st.integers(1, 90),
            "cap_cents": st.integers(1, 200_000),
            "min_spend_cents": st.integers(0, 300_000),
            "valid_days": st.just(7),
        }
    ),
)


def _event(event_type, order, **data):
    return {
        "event_id": new_id(),
        "event_type": event_type,
        "version": 1,
        "occurred_at": utcnow().isoformat(),
        "tenant_id": "t",
        "correlation_id": None,
        "data": {
            "order_id": order["id"],
            "member_id": "m",
            "total_cents": order["total_cents"],
            **data,
        },
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cart=carts,
    refunds=refund_amounts,
    tier_percent=st.integers(0, 30),
    spend=st.integers(0, 100_000),
    coupon=coupons,
    grant=st.integers(0, 50_000),
    points=st.integers(0, 60_000),
    ratio=st.integers(0, 100),
)
def test_with_tier_coupon_and_points_totals_stay_sound(
    session, crm_session, cart, refunds, tier_percent, spend, coupon, grant, points, ratio
):
    crm = CrmInProcess(crm_session, MEMBER)
    with crm_session.begin():
        community = crm_session.get(Community, "t")
        community.settings = {
            "max_points_ratio_percent": ratio,
            "tiers": [
                {"name": "普通", "min_spend_cents": 0, "discount_percent": 0},
                {"name": "会员", "min_spend_cents": 1, "discount_percent": tier_percent},
            ],
        }
        crm_session.query(Purchase).delete()
        if spend:
            crm_session.add(
                Purchase(
                    order_id=new_id(),
                    tenant_id="t",
                    member_id="m",
                    status="paid",
                    total_cents=spend,
                    lines=[],
                    placed_at=utcnow(),
                )
            )
        crm_session.add(
            PointsEntry(
                tenant_id="t",
                member_id="m",
                delta=grant,
                kind="adjusted",
                entry_key=f"adjusted:{new_id()}",
            )
        )
        coupon_id = (
            loyalty.issue_coupon(crm_session, "t", "m", coupon, "manual", new_id()).id
            if coupon
            else None
        )
        before = loyalty.balance(crm_session, "t", "m")

    prices = {product: price for product, _, price in cart}
    items = [{"product_id": product, "quantity": quantity} for product, quantity, _ in cart]
    subtotal = sum(prices[item["product_id"]] * item["quantity"] for item in items)
    body = {"items": items, "coupon_id": coupon_id, "points_to_use": points}
    try:
        order = handlers.place_order(session, priced_catalog(prices), crm, MEMBER, body)
    except (Conflict, Invalid) as refused:
        event(f"refused: {refused.extra.get('reason', 'invalid')}")
        with crm_session.begin():  # refused: nothing held, nothing locked
            assert loyalty.balance(crm_session, "t", "m") == before
            assert coupon_id is None or crm_session.get(Coupon, coupon_id).status == "available"
        return
    event(
        f"placed with {'coupon' if coupon_id else 'no coupon'}, "
        f"{'points' if points else 'no points'}"
    )
    assert order["subtotal_cents"] == subtotal
    assert 0 <= order["discount_cents"] <= order["subtotal_cents"]
    assert order["discount_cents"] == (
        order["tier_discount_cents"]
        + order["coupon_discount_cents"]
        + order["points_discount_cents"]
    )
    assert order["total_cents"] == order["subtotal_cents"] - order["discount_cents"] >= 0
    assert order["points_used"] == points <= before

    with session.begin():
        payments.mark_paid_offline(session, LEADER, PROVIDERS, order["id"])
    with crm_session.begin():
        loyalty.on_order_paid(crm_session, _event("order_paid", order))
        loyalty.on_order_completed(crm_session, _event("order_completed", order))
    refunded = 0
    for amount in refunds:
        try:
            with session.begin():
                result = payments.refund_order(
                    session,
                    LEADER,
                    PROVIDERS,
                    order["id"],
                    {"amount_cents": amount, "reason": "property"},
                )
        except Conflict:
            continue
        refunded += amount
        assert result["refunded_cents"] == refunded <= order["total_cents"]
        with crm_session.begin():
            loyalty.on_order_refunded(
                crm_session,
                _event(
                    "order_refunded",
                    order,
                    amount_cents=amount,
                    refunded_total_cents=refunded,
                    whole=refunded == order["total_cents"],
                ),
            )
    with crm_session.begin():
        balance = loyalty.balance(crm_session, "t", "m")
        ledger = crm_session.scalar(
            select(func.sum(PointsEntry.delta)).where(PointsEntry.member_id == "m")
        )
        assert balance == ledger >= 0
        if (
            order["total_cents"] and refunded == order["total_cents"]
        ):  # a whole refund undoes the order
            assert balance == before
