"""Orders service (订单与支付): thin nameko entrypoints over ``handlers``."""

from nameko.timer import timer

from services.infra import operations
from services.infra.context import CallerContext
from services.infra.db import Database
from services.infra.entrypoints import rpc
from services.infra.messaging import OutboxRelay
from services.infra.rpc import Rpc
from services.orders import handlers


class Catalog:
    """The catalog calls a use case needs, as plain methods (easy to fake in unit tests)."""

    def __init__(self, rpc):
        self.rpc = rpc

    def reserve_stock(self, payload):
        return self.rpc.call("catalog", "reserve_stock", payload)

    def release_stock(self, reservation_key):
        return self.rpc.call("catalog", "release_stock", reservation_key)


class OrdersService(operations.OperatorEntrypoints):
    name = "orders"

    db = Database()
    caller = CallerContext()
    outbox = OutboxRelay()
    remote = Rpc()

    @rpc
    def place_order(self, payload, idempotency_key=None):
        return handlers.place_order(self.db, Catalog(self.remote), self.caller, payload, idempotency_key)

    @timer(interval=60)
    def release_abandoned_reservations(self):
        def catalog_for(tenant_id):
            return Catalog(self.remote.bind({"tenant_id": tenant_id, "role": "system"}))

        handlers.release_abandoned(self.db, catalog_for)

    @rpc
    def get_order(self, order_id):
        return handlers.get_order(self.db, self.caller, order_id)

    @rpc
    def list_orders(self, query):
        return handlers.list_orders(self.db, self.caller, query)
