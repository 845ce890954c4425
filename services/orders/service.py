"""Orders service (订单与支付): thin nameko entrypoints over ``handlers``."""

import logging
import secrets

import requests
from nameko.extensions import DependencyProvider
from nameko.timer import timer

from services.infra import operations
from services.infra.context import CallerContext
from services.infra.db import Database, in_transaction
from services.infra.entrypoints import event_handler, rpc
from services.infra.messaging import EventInbox, OutboxRelay, RetiredHandlers
from services.infra.metrics import Metrics
from services.infra.rpc import Rpc
from services.orders import (
    after_sale_events,
    business_metrics,
    checkout_terms,
    community_status,
    fulfilment_events,
    handlers,
    payments,
    stats,
)

log = logging.getLogger(__name__)


class Catalog:
    """The catalog calls a use case needs, as plain methods (easy to fake in unit tests)."""

    def __init__(self, rpc):
        self.rpc = rpc

    def reserve_stocks(self, requests):
        return self.rpc.call("catalog", "reserve_stocks", requests)

    def release_stock(self, reservation_key):
        return self.rpc.call("catalog", "release_stock", reservation_key)


class Crm:
    """crm's checkout calls (tier discount, coupon, points), as plain methods like ``Catalog``."""

    def __init__(self, rpc):
        self.rpc = rpc

    def apply_checkout(self, payload):
        return self.rpc.call("crm", "apply_checkout", payload)

    def release_checkout(self, order_id):
        return self.rpc.call("crm", "release_checkout", order_id)


class PaymentProviders(DependencyProvider):
    """The payment providers and the sandbox webhook secret, from configuration."""

    def setup(self):
        config = self.container.config
        self.providers = payments.providers_from(config)
        self.secret = config.get("WEBHOOK_SECRET") or ""
        if not self.secret:
            # Signing and verifying both happen here, so a per-process key still works for
            # one process; several processes need the shared LINLI_WEBHOOK_SECRET.
            log.warning("WEBHOOK_SECRET is not set: using a random key for this process")
            self.secret = secrets.token_urlsafe(32)
        self.webhook_url = (
            config.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/") + payments.WEBHOOK_PATH
        )

    def get_dependency(self, worker_ctx):
        return self


def http_post(url, body, headers):
    return requests.post(url, data=body.encode(), headers=headers, timeout=5).status_code


class OrdersService(operations.OperatorEntrypoints):
    name = "orders"

    db = Database()
    metrics = Metrics(counted_events=business_metrics.COUNTED_EVENTS)
    caller = CallerContext()
    outbox = OutboxRelay()
    retired = RetiredHandlers()
    inbox = EventInbox()
    remote = Rpc()
    payments = PaymentProviders()

    @rpc
    def place_orders(self, attempts):
        """Orders that arrived together at a gateway process, placed as one batch."""
        return handlers.place_orders(
            self.db,
            Catalog(self.remote),
            self._clients_for,
            handlers.attempts_from(attempts, self.caller.deadline),
        )

    @rpc
    def place_order(self, payload, idempotency_key=None):
        """One order, for the caller of this call (the demo generator, scripts)."""
        return handlers.place_order(
            self.db, Catalog(self.remote), Crm(self.remote), self.caller, payload, idempotency_key
        )

    def _clients_for(self, caller):
        """catalog and crm, called for ``caller`` (one order of a batch)."""
        rpc = self.remote.acting_as(caller.as_context())
        return Catalog(rpc), Crm(rpc)

    @timer(interval=60)
    def release_abandoned_reservations(self):
        def catalog_for(tenant_id):
            return Catalog(self.remote.acting_as({"tenant_id": tenant_id, "role": "system"}))

        def crm_for(tenant_id):
            return Crm(self.remote.acting_as({"tenant_id": tenant_id, "role": "system"}))

        handlers.release_abandoned(self.db, catalog_for, crm_for)

    @timer(interval=3600)
    def expire_idempotency_keys(self):
        """Forget keys past their retention (a member's a day, the staff's a month: see
        handlers)."""
        handlers.expire_idempotency_keys(self.db)

    @rpc
    def get_order(self, order_id):
        return handlers.get_order(self.db, self.caller, order_id)

    @rpc
    def list_orders(self, query):
        return handlers.list_orders(self.db, self.caller, query)

    @rpc
    def paid_orders_to_pack(self, query):
        """For fulfilment, when it has not heard of a wave's or a day's payments yet (read-only)."""
        return handlers.paid_orders_to_pack(self.db, self.caller, query)

    @rpc
    def dashboard_stats(self, date_from, date_to, timezone=None):
        """The cockpit's order figures (数据驾驶舱), from the read model ``stats`` keeps."""
        with self.db.begin():
            return stats.dashboard_stats(self.db, self.caller, date_from, date_to, timezone)

    # --- payment -----------------------------------------------------------------------------

    @rpc
    def start_payment(self, order_id, payload, idempotency_key=None):
        return in_transaction(
            self.db,
            payments.start_payment,
            self.caller,
            self.payments.providers,
            order_id,
            payload,
            idempotency_key,
        )

    @rpc
    def mark_paid(self, order_id, idempotency_key=None):
        return in_transaction(
            self.db,
            payments.mark_paid_offline,
            self.caller,
            self.payments.providers,
            order_id,
            idempotency_key,
        )

    @rpc
    def cancel_order(self, order_id):
        with self.db.begin():
            return payments.cancel_order(self.db, self.caller, self.payments.providers, order_id)

    @rpc
    def refund_order(self, order_id, payload, idempotency_key=None):
        return in_transaction(
            self.db,
            payments.refund_order,
            self.caller,
            self.payments.providers,
            order_id,
            payload,
            idempotency_key,
        )

    @timer(interval=10)
    def expire_unpaid_orders(self):
        with self.db.begin():
            payments.expire_unpaid(self.db)

    @rpc
    def receive_sandbox_webhook(self, timestamp, signature, body):
        # The same notification delivered twice at once: the second collides on the processed
        # notification's key and, run again, answers "duplicate".
        return in_transaction(
            self.db,
            payments.receive_sandbox_webhook,
            self.payments.providers,
            self.payments.secret,
            timestamp,
            signature,
            body,
        )

    # --- the sandbox provider (a stand-in for an external provider, shipped for demos) --------

    @rpc
    def sandbox_charge(self, charge_id):
        return payments.sandbox_charge(self.db, charge_id)

    @rpc
    def sandbox_complete(self, charge_id, payload):
        with self.db.begin():
            return payments.sandbox_complete(
                self.db, self.payments.providers["sandbox"], charge_id, payload
            )

    @timer(interval=1)
    def deliver_sandbox_notifications(self):
        payments.deliver_notifications(
            self.db, http_post, self.payments.secret, self.payments.webhook_url
        )

    # --- fulfilment moves the order along (履约) -----------------------------------------------

    @event_handler("fulfillment", "order_packed")
    def on_order_packed(self, payload):
        self.inbox.consume(payload, fulfilment_events.apply_order_packed)

    @event_handler("fulfillment", "order_dispatched")
    def on_order_dispatched(self, payload):
        self.inbox.consume(payload, fulfilment_events.apply_order_dispatched)

    @event_handler("fulfillment", "order_ready_for_pickup")
    def on_order_ready_for_pickup(self, payload):
        self.inbox.consume(payload, fulfilment_events.apply_order_ready_for_pickup)

    @event_handler("fulfillment", "order_picked_up")
    def on_order_picked_up(self, payload):
        self.inbox.consume(payload, fulfilment_events.apply_order_picked_up)

    # --- after-sale on the order's history (售后) -----------------------------------------------

    @event_handler("fulfillment", "after_sale_opened")
    def on_after_sale_opened(self, payload):
        self.inbox.consume(payload, after_sale_events.apply_after_sale_opened)

    @event_handler("fulfillment", "after_sale_rejected")
    def on_after_sale_rejected(self, payload):
        self.inbox.consume(payload, after_sale_events.apply_after_sale_rejected)

    @event_handler("fulfillment", "compensation_granted")
    def on_compensation_granted(self, payload):
        self.inbox.consume(payload, after_sale_events.apply_compensation_granted)

    # --- crm's checkout terms, remembered (see checkout_terms) ----------------------------------

    @event_handler("crm", "checkout_terms_changed")
    def on_checkout_terms_changed(self, payload):
        self.inbox.consume(payload, checkout_terms.record_change)

    # --- a community suspended by the platform operator (see community_status) --------------------

    @event_handler("crm", "community_suspended")
    def on_community_suspended(self, payload):
        self.inbox.consume(payload, community_status.record_suspended)

    @event_handler("crm", "community_resumed")
    def on_community_resumed(self, payload):
        self.inbox.consume(payload, community_status.record_resumed)
