"""Fulfilment service (履约): thin nameko entrypoints over ``handlers``."""

from nameko.dependency_providers import Config
from nameko.timer import timer

from services.fulfillment import (
    after_sales,
    batches,
    documents,
    handlers,
    picking,
    stats,
    storeroom,
)
from services.infra import operations
from services.infra.context import CallerContext
from services.infra.db import Database
from services.infra.entrypoints import event_handler, rpc
from services.infra.errors import NotFound
from services.infra.messaging import EventInbox, OutboxRelay, RetiredHandlers
from services.infra.metrics import Metrics
from services.infra.rpc import Rpc


class Orders:
    """The orders calls fulfilment makes, as plain methods (easy to fake in tests): a refund for
    after-sale, and an order fulfilment has not heard of yet (``copies``)."""

    def __init__(self, rpc):
        self.rpc = rpc

    def refund_order(self, order_id, payload, idempotency_key=None):
        return self.rpc.call(
            "orders", "refund_order", order_id, payload, idempotency_key=idempotency_key
        )

    def order(self, order_id):
        """The order as orders has it now, in the caller's community; ``None`` if it has none."""
        try:
            return self.rpc.call("orders", "get_order", order_id)
        except NotFound:
            return None

    def paid_orders_to_pack(self, query):
        """The orders orders has paid and not yet packed, in the caller's community: a wave's
        (``{"wave_id"}``), or those outside waves paid in a period
        (``{"paid_from", "paid_to"}``)."""
        return self.rpc.call("orders", "paid_orders_to_pack", query)


class Catalog:
    """The catalog call fulfilment makes: a wave it has not heard is closed yet (``copies``)."""

    def __init__(self, rpc):
        self.rpc = rpc

    def wave(self, wave_id):
        """The wave as catalog has it now, in the caller's community; ``None`` if it has none."""
        try:
            return self.rpc.call("catalog", "get_wave", wave_id)
        except NotFound:
            return None


class FulfillmentService(operations.OperatorEntrypoints):
    name = "fulfillment"

    db = Database()
    metrics = Metrics()
    caller = CallerContext()
    inbox = EventInbox()
    outbox = OutboxRelay()
    retired = RetiredHandlers()
    config = Config()
    remote = Rpc()

    @rpc
    def get_fulfillment(self, order_id):
        return handlers.get_fulfillment(self.db, self.caller, order_id)

    @rpc
    def move_wave(self, wave_id, payload):
        return handlers.in_transaction(
            self.db,
            handlers.move_wave,
            self.caller,
            Orders(self.remote),
            Catalog(self.remote),
            wave_id,
            payload,
        )

    @rpc
    def move_order(self, order_id, payload):
        return handlers.in_transaction(
            self.db,
            handlers.move_order,
            self.caller,
            Orders(self.remote),
            Catalog(self.remote),
            order_id,
            payload,
        )

    @rpc
    def picking_list(self, wave_id, query):
        return picking.picking_list(self.db, self.caller, wave_id, query)

    @rpc
    def purchase_list(self, wave_id, query):
        return documents.purchase_list(self.db, self.caller, wave_id, query)

    @rpc
    def set_stock_on_hand(self, product_id, payload):
        with self.db.begin():
            return storeroom.set_on_hand(self.db, self.caller, product_id, payload)

    @rpc
    def list_stock_on_hand(self):
        return storeroom.list_on_hand(self.db, self.caller)

    @rpc
    def packing_slips(self, wave_id, query, locale=None):
        return documents.packing_slips(self.db, self.caller, wave_id, query, locale or "zh-CN")

    @rpc
    def verify_pickup(self, payload):
        return handlers.verify_pickup(self.db, self.caller, payload)

    # --- batches outside waves ---------------------------------------------------------------

    @rpc
    def list_batches(self, query):
        return batches.list_batches(
            self.db, self.caller, query, self.config.get("DEFAULT_PICKUP_POINT")
        )

    @rpc
    def move_batch(self, payload):
        return handlers.in_transaction(
            self.db,
            batches.move_batch,
            self.caller,
            Orders(self.remote),
            payload,
            self.config.get("DEFAULT_PICKUP_POINT"),
        )

    # --- after-sale (售后) ----------------------------------------------------------------------

    @rpc
    def open_after_sale(self, order_id, payload):
        days = after_sales.after_sale_days(self.config.get("AFTER_SALE_DAYS"))
        with self.db.begin():
            return after_sales.open_case(self.db, self.caller, order_id, payload, days)

    @rpc
    def list_after_sales(self, query):
        return after_sales.list_cases(self.db, self.caller, query)

    @rpc
    def get_after_sale(self, case_id):
        return after_sales.get_case(self.db, self.caller, case_id)

    @rpc
    def resolve_after_sale(self, case_id, payload):
        return after_sales.resolve_case(self.db, self.caller, Orders(self.remote), case_id, payload)

    @rpc
    def reject_after_sale(self, case_id, payload):
        with self.db.begin():
            return after_sales.reject_case(self.db, self.caller, case_id, payload)

    @rpc
    def compensate_order(self, order_id, payload):
        return after_sales.compensate(self.db, self.caller, Orders(self.remote), order_id, payload)

    @rpc
    def after_sale_stats(self, start, end):
        return after_sales.after_sale_stats_rpc(self.db, self.caller, start, end)

    @event_handler("orders", "order_paid")
    def on_order_paid(self, payload):
        self.inbox.consume(payload, handlers.record_order_paid)

    @event_handler("orders", "order_cancelled")
    def on_order_cancelled(self, payload):
        self.inbox.consume(payload, handlers.record_order_cancelled)

    @event_handler("orders", "order_refunded")
    def on_order_refunded(self, payload):
        self.inbox.consume(payload, handlers.record_order_refunded)

    @timer(interval=60)
    def remind_overdue_pickups(self):
        """One pickup reminder (取货提醒) per order left at the pickup point too long."""
        hours = handlers.reminder_hours(self.config.get("PICKUP_REMINDER_AFTER_HOURS"))
        with self.db.begin():
            handlers.remind_overdue_pickups(self.db, hours)

    @event_handler("crm", "community_created")
    def on_community_created(self, payload):
        self.inbox.consume(payload, handlers.record_community_created)

    @event_handler("crm", "member_joined")
    def on_member_joined(self, payload):
        self.inbox.consume(payload, handlers.record_member_joined)

    @event_handler("catalog", "wave_closed")
    def on_wave_closed(self, payload):
        self.inbox.consume(payload, handlers.record_wave_closed)

    @rpc
    def dashboard_stats(self, date_from, date_to, timezone=None):
        """This service's figures for the cockpit (数据驾驶舱), see ``stats``."""
        with self.db.begin():
            return stats.dashboard_stats(self.db, self.caller, date_from, date_to, timezone)
