"""Catalog service (商品与库存): thin nameko entrypoints over ``handlers``, ``waves`` and
``live``."""

from nameko.timer import timer

from services.catalog import handlers, live, stats, waves
from services.infra import operations
from services.infra.context import CallerContext
from services.infra.db import Database, in_transaction, utcnow
from services.infra.entrypoints import event_handler, rpc
from services.infra.messaging import EventInbox, OutboxRelay, RetiredHandlers
from services.infra.metrics import Metrics


class CatalogService(operations.OperatorEntrypoints):
    name = "catalog"

    db = Database()
    metrics = Metrics()
    caller = CallerContext()
    outbox = OutboxRelay()
    retired = RetiredHandlers()
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
    def create_live_session(self, payload):
        with self.db.begin():
            return live.create_live_session(self.db, self.caller, payload)

    @rpc
    def list_live_sessions(self, query):
        return live.list_live_sessions(self.db, self.caller, query)

    @rpc
    def get_live_session(self, session_id):
        return live.get_live_session(self.db, self.caller, session_id)

    @rpc
    def start_live_session(self, session_id):
        with self.db.begin():
            return live.start_live_session(self.db, self.caller, session_id)

    @rpc
    def end_live_session(self, session_id):
        with self.db.begin():
            return live.end_live_session(self.db, self.caller, session_id)

    @rpc
    def pin_live_item(self, session_id, payload):
        with self.db.begin():
            return live.pin_live_item(self.db, self.caller, session_id, payload)

    @rpc
    def post_live_comment(self, session_id, payload):
        with self.db.begin():
            return live.post_live_comment(self.db, self.caller, session_id, payload)

    @rpc
    def list_live_comments(self, session_id, query):
        return live.list_live_comments(self.db, self.caller, session_id, query)

    @rpc
    def hide_live_comment(self, session_id, comment_id):
        with self.db.begin():
            return live.hide_live_comment(self.db, self.caller, session_id, comment_id)

    @rpc
    def join_live_room(self, session_id, connection_id, instance_id):
        # The same connection joining twice at once: the winner's row is the presence.
        return in_transaction(
            self.db, live.join_live_room, self.caller, session_id, connection_id, instance_id
        )

    @rpc
    def leave_live_room(self, connection_id):
        with self.db.begin():
            return live.leave_live_room(self.db, self.caller, connection_id)

    @rpc
    def refresh_live_presence(self, instance_id, connection_ids):
        with self.db.begin():
            return live.refresh_live_presence(self.db, instance_id, connection_ids)

    @timer(interval=10)
    def prune_live_presence(self):
        """Connections of a gateway process that died stop counting as watching."""
        with self.db.begin():
            live.prune_stale_presence(self.db, utcnow())

    @rpc
    def reserve_stocks(self, requests):
        """Stock for a batch of orders (each for its own member, in its own transaction); one
        order is a batch of one. An RPC's per-message cost outweighs an order's own work."""
        return handlers.reserve_stocks(self.db, requests)

    @rpc
    def release_stock(self, reservation_key):
        with self.db.begin():
            return handlers.release_stock(self.db, self.caller, reservation_key)

    @event_handler("orders", "order_cancelled")
    def on_order_cancelled(self, payload):
        self.inbox.consume(payload, handlers.release_for_cancelled_order)

    @event_handler("crm", "member_joined")
    def on_member_joined(self, payload):
        self.inbox.consume(payload, live.record_member_joined)

    @rpc
    def dashboard_stats(self, date_from, date_to, timezone=None):
        """This service's figures for the cockpit (数据驾驶舱), see ``stats``."""
        with self.db.begin():
            return stats.dashboard_stats(self.db, self.caller, date_from, date_to, timezone)
