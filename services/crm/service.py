"""CRM service (会员与营销): thin nameko entrypoints over ``handlers``."""

from nameko.events import event_handler

from services.crm import (
    compensations,
    handlers,
    loyalty,
    messages,
    referral_rewards,
    settings,
    stats,
)
from services.infra import operations
from services.infra.context import CallerContext
from services.infra.db import Database
from services.infra.entrypoints import rpc
from services.infra.messaging import EventInbox, OutboxRelay


class CrmService(operations.OperatorEntrypoints):
    name = "crm"

    db = Database()
    caller = CallerContext()
    outbox = OutboxRelay()
    inbox = EventInbox()

    @rpc
    def signup_leader(self, payload):
        with self.db.begin():
            return handlers.signup_leader(self.db, self.caller, payload)

    @rpc
    def authenticate(self, payload):
        return handlers.authenticate(self.db, payload)

    @rpc
    def join_community(self, slug, payload):
        with self.db.begin():
            return handlers.join_community(self.db, self.caller, slug, payload)

    @rpc
    def get_me(self):
        with self.db.begin():
            return handlers.get_me(self.db, self.caller)

    @rpc
    def get_community_card(self, slug):
        with self.db.begin():
            return handlers.get_community_card(self.db, slug)

    @rpc
    def list_inbox(self, query, locale=None):
        with self.db.begin():
            return handlers.list_inbox(self.db, self.caller, query, locale or messages.DEFAULT_LOCALE)

    # --- settings and loyalty (积分, 会员等级, 优惠券) -------------------------------------------

    @rpc
    def get_settings(self):
        with self.db.begin():
            return settings.get_settings(self.db, self.caller)

    @rpc
    def update_settings(self, payload):
        with self.db.begin():
            return settings.update_settings(self.db, self.caller, payload)

    @rpc
    def my_points(self, query):
        with self.db.begin():
            return loyalty.my_points(self.db, self.caller, query)

    @rpc
    def my_coupons(self, query):
        with self.db.begin():
            return loyalty.my_coupons(self.db, self.caller, query)

    @rpc
    def issue_coupon(self, member_id, payload):
        with self.db.begin():
            return loyalty.issue_coupon_by_hand(self.db, self.caller, member_id, payload)

    @rpc
    def adjust_points(self, member_id, payload):
        with self.db.begin():
            return loyalty.adjust_points(self.db, self.caller, member_id, payload)

    @rpc
    def apply_checkout(self, payload):
        with self.db.begin():
            return loyalty.apply_checkout(self.db, self.caller, payload)

    @rpc
    def release_checkout(self, order_id):
        with self.db.begin():
            return loyalty.release_checkout(self.db, self.caller, order_id)

    @event_handler("orders", "order_paid")
    def on_order_paid_loyalty(self, payload):
        self.inbox.consume(payload, loyalty.on_order_paid)

    @event_handler("orders", "order_cancelled")
    def on_order_cancelled_loyalty(self, payload):
        self.inbox.consume(payload, loyalty.on_order_cancelled)

    @event_handler("orders", "order_completed")
    def on_order_completed_loyalty(self, payload):
        self.inbox.consume(payload, loyalty.on_order_completed)

    @event_handler("orders", "order_refunded")
    def on_order_refunded_loyalty(self, payload):
        self.inbox.consume(payload, loyalty.on_order_refunded)

    @event_handler("referral", "referral_rewarded")
    def on_referral_rewarded(self, payload):
        self.inbox.consume(payload, referral_rewards.on_referral_rewarded)

    @event_handler("referral", "referral_reward_revoked")
    def on_referral_reward_revoked(self, payload):
        self.inbox.consume(payload, referral_rewards.on_referral_reward_revoked)

    @event_handler("referral", "showcase_approved")
    def on_showcase_approved(self, payload):
        self.inbox.consume(payload, referral_rewards.on_showcase_approved)

    @event_handler("fulfillment", "compensation_granted")
    def on_compensation_granted(self, payload):
        self.inbox.consume(payload, compensations.on_compensation_granted)

    @event_handler("fulfillment", "order_ready_for_pickup")
    def on_order_ready_for_pickup(self, payload):
        self.inbox.consume(payload, handlers.notify_pickup_ready)

    @event_handler("fulfillment", "order_pickup_overdue")
    def on_order_pickup_overdue(self, payload):
        self.inbox.consume(payload, handlers.remind_pickup)

    @event_handler("orders", "order_placed")
    def on_order_placed(self, payload):
        self.inbox.consume(payload, handlers.record_order_placed)

    @event_handler("orders", "order_paid")
    def on_order_paid(self, payload):
        self.inbox.consume(payload, handlers.record_order_paid)

    @event_handler("orders", "order_cancelled")
    def on_order_cancelled(self, payload):
        self.inbox.consume(payload, handlers.record_order_cancelled)

    @event_handler("orders", "order_refunded")
    def on_order_refunded(self, payload):
        self.inbox.consume(payload, handlers.record_order_refunded)

    @rpc
    def dashboard_stats(self, date_from, date_to, timezone=None):
        """This service's figures for the cockpit (数据驾驶舱), see ``stats``."""
        with self.db.begin():
            return stats.dashboard_stats(self.db, self.caller, date_from, date_to, timezone)
