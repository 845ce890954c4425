"""Money adds up for any cart and any sequence of partial refunds (integer fen throughout)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.infra.context import Caller
from services.infra.errors import Conflict, Invalid
from services.orders import handlers, payments
from services.orders.models import Base

PROVIDERS = {"offline": payments.OfflineProvider(), "sandbox": payments.SandboxProvider("http://linli.test", 0)}
MEMBER = Caller(tenant_id="t", account_id="a-m", member_id="m", role="member")
LEADER = Caller(tenant_id="t", account_id="a-l", role="leader")

carts = st.lists(
    st.tuples(st.sampled_from(["p1", "p2", "p3", "p4"]), st.integers(1, 999),
              st.one_of(st.integers(0, 5_000), st.integers(0, 10_000_000))),
    min_size=1, max_size=8,
)
refund_amounts = st.lists(st.integers(1, 10**9), max_size=6)


class PricedCatalog:
    def __init__(self, prices):
        self.prices = prices

    def reserve_stock(self, payload):
        return {"lines": [{"product_id": item["product_id"], "name": item["product_id"], "unit": "件",
                           "unit_price_cents": self.prices[item["product_id"]], "quantity": item["quantity"]}
                          for item in payload["items"]]}

    def release_stock(self, key):
        pass


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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cart=carts, refunds=refund_amounts)
def test_totals_are_exact_and_refunds_never_exceed_payments(session, cart, refunds):
    prices = {product: price for product, _, price in cart}
    items = [{"product_id": product, "quantity": quantity} for product, quantity, _ in cart]
    expected = sum(prices[item["product_id"]] * item["quantity"] for item in items)
    if expected > handlers.MAX_ORDER_CENTS:
        with pytest.raises(Invalid):
            handlers.place_order(session, PricedCatalog(prices), MEMBER, {"items": items})
        return
    order = handlers.place_order(session, PricedCatalog(prices), MEMBER, {"items": items})
    assert order["subtotal_cents"] == expected
    assert order["total_cents"] == order["subtotal_cents"] - order["discount_cents"] >= 0

    with session.begin():
        payments.mark_paid_offline(session, LEADER, PROVIDERS, order["id"])
    refunded = 0
    for amount in refunds:
        try:
            with session.begin():
                result = payments.refund_order(session, LEADER, PROVIDERS, order["id"],
                                               {"amount_cents": amount, "reason": "property"})
        except Conflict:
            assert amount > order["total_cents"] - refunded or refunded == order["total_cents"]
            continue
        refunded += amount
        assert result["refunded_cents"] == refunded <= order["total_cents"]
        assert result["refundable_cents"] == order["total_cents"] - refunded >= 0
