"""Fakes of the owners a service asks when its copy of their facts is behind, built on the real
wrappers (so a renamed verb fails here too). Each remembers what it was asked: a test can tell
that a current copy asked nobody."""

from datetime import datetime

from services.fulfillment import service as fulfillment_service
from services.referral import service as referral_service


class FulfillmentCatalog(fulfillment_service.Catalog):
    """catalog as fulfilment asks it: the waves it holds (none unless given), as ``get_wave``
    answers them."""

    def __init__(self, *waves):
        super().__init__(rpc=None)
        self.waves, self.asked = {wave["id"]: wave for wave in waves}, []

    def wave(self, wave_id):
        self.asked.append(wave_id)
        return self.waves.get(wave_id)


class FulfillmentOrders(fulfillment_service.Orders):
    """orders as fulfilment asks it about an order it has not heard of: ``get_order``'s answers."""

    def __init__(self, *orders):
        super().__init__(rpc=None)
        self.orders, self.asked = {order["id"]: order for order in orders}, []

    def order(self, order_id):
        self.asked.append(order_id)
        return self.orders.get(order_id)

    def paid_orders_to_pack(self, query):
        """As orders answers it: a wave's paid orders, or those outside waves paid in [from, to)."""
        self.asked.append(query)
        paid = [order for order in self.orders.values() if order["status"] == "paid"]
        if query.get("wave_id"):
            return [order for order in paid if order["channel"] == {"type": "wave", "id": query["wave_id"]}]
        start, end = datetime.fromisoformat(query["paid_from"]), datetime.fromisoformat(query["paid_to"])
        return [order for order in paid if order["channel"]["type"] != "wave" and start <= min(
            datetime.fromisoformat(change["at"]) for change in order["timeline"] if change["status"] == "paid") < end]


class ReferralOrders(referral_service.Orders):
    """orders as referral asks it: ``get_order``'s answers, for the calling member."""

    def __init__(self, *orders):
        super().__init__(rpc=None)
        self.orders, self.asked = {order["id"]: order for order in orders}, []

    def order(self, order_id):
        self.asked.append(order_id)
        return self.orders.get(order_id)


class ReferralCrm(referral_service.Crm):
    """crm as referral asks it: ``get_me``'s answer for the calling member (``None``: not a member)."""

    def __init__(self, me=None):
        super().__init__(rpc=None)
        self.answer, self.asked = me, 0

    def me(self):
        self.asked += 1
        return self.answer


class ReferralFulfillment(referral_service.Fulfillment):
    """fulfilment as referral asks it: ``get_fulfillment``'s answers (order id -> status)."""

    def __init__(self, **statuses):
        super().__init__(rpc=None)
        self.statuses, self.asked = statuses, []

    def order(self, order_id):
        self.asked.append(order_id)
        status = self.statuses.get(order_id)
        return {"order_id": order_id, "status": status} if status else None
