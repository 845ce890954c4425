"""Fulfilment service (履约): thin nameko entrypoints over ``handlers``."""

from nameko.events import event_handler

from services.fulfillment import handlers
from services.infra import operations
from services.infra.context import CallerContext
from services.infra.db import Database
from services.infra.entrypoints import rpc
from services.infra.messaging import EventInbox


class FulfillmentService(operations.OperatorEntrypoints):
    name = "fulfillment"

    db = Database()
    caller = CallerContext()
    inbox = EventInbox()

    @rpc
    def get_fulfillment(self, order_id):
        return handlers.get_fulfillment(self.db, self.caller, order_id)

    @event_handler("orders", "order_placed")
    def on_order_placed(self, payload):
        self.inbox.consume(payload, handlers.record_order_placed)

    @event_handler("orders", "order_paid")
    def on_order_paid(self, payload):
        self.inbox.consume(payload, handlers.record_order_paid)

    @event_handler("orders", "order_cancelled")
    def on_order_cancelled(self, payload):
        self.inbox.consume(payload, handlers.record_order_cancelled)
