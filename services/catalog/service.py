"""Catalog service (商品与库存): thin nameko entrypoints over ``handlers`` and ``waves``."""

from nameko.events import event_handler
from nameko.timer import timer
from sqlalchemy.exc import IntegrityError

from services.catalog import handlers, waves
from services.infra import operations
from services.infra.context import CallerContext
from services.infra.db import Database, utcnow
from services.infra.entrypoints import rpc
from services.infra.messaging import EventInbox, OutboxRelay


class CatalogService(operations.OperatorEntrypoints):
    name = "catalog"

    db = Database()
    caller = CallerContext()
    outbox = OutboxRelay()
    inbox = EventInbox()

    @rpc
    def create_product(self, payload):
        with self.db.begin():
            return handlers.create_product(self.db, self.caller, payload)

    @rpc
    def update_product(self, product_id, payload):
        with self.db.begin():
            return handlers.update_product(self.db, self.caller, product_id, payload)

    @rpc
    def get_product(self, product_id):
        return handlers.get_product(self.db, self.caller, product_id)

    @rpc
    def list_products(self, query):
        return handlers.list_products(self.db, self.caller, query)

    @rpc
    def create_wave(self, payload):
        with self.db.begin():
            return waves.create_wave(self.db, self.caller, payload)

    @rpc
    def list_waves(self, query):
        return waves.list_waves(self.db, self.caller, query)

    @rpc
    def get_wave(self, wave_id):
        return waves.get_wave(self.db, self.caller, wave_id)

    @rpc
    def close_wave(self, wave_id):
        with self.db.begin():
            return waves.close_wave(self.db, self.caller, wave_id)

    @timer(interval=10)
    def close_due_waves(self):
        """Waves stop taking orders at their cut-off; ``wave_closed`` starts fulfilment."""
        with self.db.begin():
            waves.close_due_waves(self.db, utcnow())

    @rpc
    def reserve_stock(self, payload):
        try:
            with self.db.begin():
                return handlers.reserve_stock(self.db, self.caller, payload)
        except IntegrityError:
            # A concurrent call with the same key won the race; its reservation is the answer.
            with self.db.begin():
                return handlers.reserve_stock(self.db, self.caller, payload)

    @rpc
    def release_stock(self, reservation_key):
        with self.db.begin():
            return handlers.release_stock(self.db, self.caller, reservation_key)

    @event_handler("orders", "order_cancelled")
    def on_order_cancelled(self, payload):
        self.inbox.consume(payload, handlers.release_for_cancelled_order)
