"""One fake per remote service wrapper, each a subclass of the real wrapper.

A use case reaches another service only through a small wrapper with domain verbs (orders'
``Catalog`` and ``Crm``, fulfilment's ``Catalog`` and ``Orders``, referral's ``Catalog``,
``Orders``, ``Crm`` and ``Fulfillment``; see docs/architecture.md). The fakes here
subclass those classes and override their verbs, so they cannot drift quietly:

- the real wrapper is built with an RPC client that refuses every call, so a verb the fake does
  not override (one added to the real wrapper) fails loudly instead of answering ``None``;
- ``test_fakes.py`` checks that every public method of a fake is a method of the real wrapper
  with the same signature, so a verb renamed or removed there (``reserve_stock`` became the
  batch ``reserve_stocks``) fails at once here.

``FakeGateway`` is the same idea for the gateway's routes: the real ``GatewayService`` with its
one way out, ``call``, faked. Unit tests import them through ``conftest``.
"""

import copy
from collections import defaultdict
from datetime import datetime
from types import SimpleNamespace

from gateway.service import GatewayService
from services.catalog import handlers as catalog_handlers
from services.crm import loyalty
from services.fulfillment.service import Catalog as FulfillmentCatalogWrapper
from services.fulfillment.service import Orders
from services.infra.errors import Conflict, NotFound, ServiceUnavailable, outcome_of
from services.infra.rpc import DEFAULT_TIMEOUT, RpcClient
from services.orders.service import Catalog, Crm
from services.referral.service import Catalog as ReferralCatalogWrapper
from services.referral.service import Crm as ReferralCrmWrapper
from services.referral.service import Fulfillment as ReferralFulfillmentWrapper
from services.referral.service import Orders as ReferralOrdersWrapper

PRICES = {"apple": ("Apples", 350), "milk": ("Milk", 1299)}


class NoRpc:
    """The RPC client under a fake: a unit test makes no RPC, so a verb the fake does not
    override fails with its name."""

    def __init__(self, service):
        self.service = service

    def call(self, service, method, *args, **kwargs):
        raise AssertionError(
            f"the fake {self.service} does not answer {service}.{method}: "
            "add it to tests/unit/fakes.py"
        )


def every_product(name, unit_price_cents):
    """``prices`` for a catalog where every product has the same name and price."""
    return defaultdict(lambda: (name, unit_price_cents))


class FakeCatalog(Catalog):
    """catalog as orders calls it: products priced from ``prices`` (``{product_id: (name,
    unit_price_cents)}``), always in stock except ``sold_out``. Records every batch, every
    reservation and every release.

    ``refuse``: an error each reservation raises (its outcome in the batch is that error);
    ``fail``: an error the whole ``reserve_stocks`` call raises (catalog unreachable).
    """

    def __init__(self, prices=PRICES, unit="件", sold_out=(), refuse=None, fail=None):
        super().__init__(NoRpc("catalog"))
        self.prices, self.unit, self.sold_out = prices, unit, set(sold_out)
        self.refuse, self.fail = refuse, fail
        self.batches, self.reserved, self.released = [], [], []

    @property
    def reserved_keys(self):
        return [reservation["reservation_key"] for reservation in self.reserved]

    def reserve_stocks(self, requests):
        self.batches.append(copy.deepcopy(requests))
        if self.fail:
            raise self.fail
        return [outcome_of(self._reserve, request["reservation"]) for request in requests]

    def _reserve(self, reservation):
        self.reserved.append(copy.deepcopy(reservation))
        if self.refuse:
            raise self.refuse
        lines = []
        for item in reservation["items"]:
            name, unit_price_cents = self.prices[item["product_id"]]
            if item["product_id"] in self.sold_out:
                raise Conflict(
                    f"Not enough stock of {name}.",
                    {"product_id": item["product_id"], "reason": "out_of_stock"},
                )
            lines.append(
                {
                    "product_id": item["product_id"],
                    "name": name,
                    "unit": self.unit,
                    "unit_price_cents": unit_price_cents,
                    "quantity": item["quantity"],
                }
            )
        return {"reservation_key": reservation["reservation_key"], "lines": lines}

    def release_stock(self, reservation_key):
        self.released.append(reservation_key)
        return {"reservation_key": reservation_key, "released": True}


class CatalogInProcess(Catalog):
    """catalog's real use cases on catalog's own database, called as its entrypoints call them."""

    def __init__(self, session, caller):
        super().__init__(NoRpc("catalog"))
        self.session, self.caller = session, caller

    def reserve_stocks(self, requests):
        return catalog_handlers.reserve_stocks(self.session, requests)  # its own transactions

    def release_stock(self, reservation_key):
        with self.session.begin():
            return catalog_handlers.release_stock(self.session, self.caller, reservation_key)


class FakeCrm(Crm):
    """crm's checkout as orders calls it: a fixed tier discount, coupon discount and points
    (all 0 by default: a member without any), recorded. ``fail`` / ``fail_release``: an error
    ``apply_checkout`` / ``release_checkout`` raises."""

    def __init__(self, tier=0, coupon=0, points=0, fail=None, fail_release=None):
        super().__init__(NoRpc("crm"))
        self.tier, self.coupon, self.points = tier, coupon, points
        self.fail, self.fail_release = fail, fail_release
        self.applied, self.released = [], []

    def apply_checkout(self, payload):
        self.applied.append(payload)
        if self.fail:
            raise self.fail
        discount = self.tier + self.coupon + self.points
        return {
            "order_id": payload["order_id"],
            "tier_discount_cents": self.tier,
            "coupon_id": payload["coupon_id"],
            "coupon_discount_cents": self.coupon,
            "points_used": self.points,
            "points_discount_cents": self.points,
            "discount_cents": discount,
            "total_cents": payload["subtotal_cents"] - discount,
        }

    def release_checkout(self, order_id):
        self.released.append(order_id)
        if self.fail_release:
            raise self.fail_release
        return {"order_id": order_id, "status": "released"}


class CrmInProcess(Crm):
    """crm's real checkout use cases on crm's own database, each in one transaction (as the crm
    service's entrypoints do)."""

    def __init__(self, session, caller):
        super().__init__(NoRpc("crm"))
        self.session, self.caller = session, caller

    def apply_checkout(self, payload):
        with self.session.begin():
            return loyalty.apply_checkout(self.session, self.caller, payload)

    def release_checkout(self, order_id):
        with self.session.begin():
            return loyalty.release_checkout(self.session, self.caller, order_id)


class FulfillmentCatalog(FulfillmentCatalogWrapper):
    """catalog as fulfilment asks it: the waves it holds (none unless given), as ``get_wave``
    answers them."""

    def __init__(self, *waves):
        super().__init__(NoRpc("catalog"))
        self.waves, self.asked = {wave["id"]: wave for wave in waves}, []

    def wave(self, wave_id):
        self.asked.append(wave_id)
        return self.waves.get(wave_id)


class FulfillmentOrders(Orders):
    """orders as fulfilment asks it about an order it has not heard of: ``get_order``'s answers."""

    def __init__(self, *orders):
        super().__init__(NoRpc("orders"))
        self.orders, self.asked = {order["id"]: order for order in orders}, []

    def order(self, order_id):
        self.asked.append(order_id)
        return self.orders.get(order_id)

    def paid_orders_to_pack(self, query):
        """As orders answers it: a wave's paid orders, or those outside waves paid in [from, to)."""
        self.asked.append(query)
        paid = [order for order in self.orders.values() if order["status"] == "paid"]
        if query.get("wave_id"):
            return [
                order
                for order in paid
                if order["channel"] == {"type": "wave", "id": query["wave_id"]}
            ]
        start, end = (
            datetime.fromisoformat(query["paid_from"]),
            datetime.fromisoformat(query["paid_to"]),
        )
        return [
            order
            for order in paid
            if order["channel"]["type"] != "wave"
            and start
            <= min(
                datetime.fromisoformat(change["at"])
                for change in order["timeline"]
                if change["status"] == "paid"
            )
            < end
        ]


class ReferralOrders(ReferralOrdersWrapper):
    """orders as referral asks it: ``get_order``'s answers, for the calling member."""

    def __init__(self, *orders):
        super().__init__(NoRpc("orders"))
        self.orders, self.asked = {order["id"]: order for order in orders}, []

    def order(self, order_id):
        self.asked.append(order_id)
        return self.orders.get(order_id)


class ReferralCatalog(ReferralCatalogWrapper):
    """catalog as referral asks it for a poster: ``get_product``'s answers (the products given),
    ``NotFound`` for any other product, as catalog answers one not in the caller's community."""

    def __init__(self, *products):
        super().__init__(NoRpc("catalog"))
        self.products, self.asked = {product["id"]: product for product in products}, []

    def product(self, product_id):
        self.asked.append(product_id)
        if product_id not in self.products:
            raise NotFound("No such product in this community.", {"product_id": product_id})
        return self.products[product_id]


class ReferralCrm(ReferralCrmWrapper):
    """crm as referral asks it: ``get_me``'s answer for the calling member (``None``: not a
    member)."""

    def __init__(self, me=None):
        super().__init__(NoRpc("crm"))
        self.answer, self.asked = me, 0

    def me(self):
        self.asked += 1
        return self.answer


class ReferralFulfillment(ReferralFulfillmentWrapper):
    """fulfilment as referral asks it: ``get_fulfillment``'s answers (order id -> status)."""

    def __init__(self, **statuses):
        super().__init__(NoRpc("fulfillment"))
        self.statuses, self.asked = statuses, []

    def order(self, order_id):
        self.asked.append(order_id)
        status = self.statuses.get(order_id)
        return {"order_id": order_id, "status": status} if status else None


class FakeOrders(FulfillmentOrders):
    """orders' ``refund_order`` as fulfilment calls it: idempotent on the key, like the real one.

    ``fail="refuse"``: every refund is refused (more than is left); ``fail="timeout"``: the first
    refund happens but its answer is lost (the caller sees 503)."""

    def __init__(self, fail=None, *orders):
        super().__init__(*orders)
        self.calls, self.refunds, self.fail = [], {}, fail

    def refund_order(self, order_id, payload, idempotency_key=None):
        self.calls.append((order_id, payload, idempotency_key))
        if self.fail == "refuse":
            raise Conflict("That is more than is left to refund.", {"reason": "exceeds_paid"})
        if idempotency_key not in self.refunds:
            self.refunds[idempotency_key] = payload["amount_cents"]
        if self.fail == "timeout":  # the refund happened, but its answer was lost
            self.fail = None
            raise ServiceUnavailable("The orders service did not answer in time.")
        return {"order_id": order_id, "status": "completed"}


class FakeRpc(RpcClient):
    """The RPC client itself (what ``Rpc`` hands a worker, here the gateway's ``remote``), for a
    worker whose ``context`` is the caller's (``{role, tenant_id, account_id, ...}``).

    Every call is recorded as ``(service, method)`` with its timeout in ``timeouts`` and answered
    by ``answer(service, method, *args, **kwargs)`` (by default ``{service, method}``)."""

    def __init__(self, context, answer=None):
        super().__init__(
            SimpleNamespace(data=dict(context)), reply_listener=None, timeout=DEFAULT_TIMEOUT
        )
        self.answer = answer or (
            lambda service, method, *args, **kwargs: {"service": service, "method": method}
        )
        self.calls, self.timeouts = [], []

    def acting_as(self, context):
        fake = FakeRpc(context, self.answer)
        fake.calls, fake.timeouts = self.calls, self.timeouts  # one record of everything sent
        return fake

    def call(self, service, method, *args, timeout=None, **kwargs):
        self.calls.append((service, method))
        self.timeouts.append(timeout)
        return self.answer(service, method, *args, **kwargs)


class FakeGateway(GatewayService):
    """The gateway as its routes see it (their ``self``), with every service behind ``call``
    faked: each call is recorded as ``(service, method, *args)`` and answered from ``answers``,
    either ``{(service, method): answer}`` (an answer, a function of the call's arguments, or an
    exception to raise) or one function ``answers(service, method, *args)`` for every call."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def call(self, service, method, *args, waited=0.0, **kwargs):
        self.calls.append((service, method, *args))
        if callable(self.answers):
            return self.answers(service, method, *args)
        answer = self.answers[(service, method)]
        if isinstance(answer, Exception):
            raise answer
        return answer(*args) if callable(answer) else answer


# Each fake with the real wrapper it stands for (test_fakes.py holds them to it).
FAKES = {
    FakeCatalog: Catalog,
    CatalogInProcess: Catalog,
    FakeCrm: Crm,
    CrmInProcess: Crm,
    FakeOrders: Orders,
    FulfillmentOrders: Orders,
    FulfillmentCatalog: FulfillmentCatalogWrapper,
    ReferralCatalog: ReferralCatalogWrapper,
    ReferralOrders: ReferralOrdersWrapper,
    ReferralCrm: ReferralCrmWrapper,
    ReferralFulfillment: ReferralFulfillmentWrapper,
    FakeRpc: RpcClient,
    FakeGateway: GatewayService,
}
