"""CRM service (会员与营销): thin nameko entrypoints over crm's parts (accounts, community,
members, notifications, loyalty, engagement) and ``handlers`` (what spans them). Each entrypoint
owns its transaction; the use cases that manage their own say so (a login, the timers)."""

from nameko.dependency_providers import Config
from nameko.timer import timer

from services.crm import handlers, loyalty
from services.crm.accounts import identity, login_limit, staff
from services.crm.community import settings
from services.crm.engagement import automation, campaigns, posts, recommendations, reminders, stats
from services.crm.loyalty import compensations, referral_rewards, rewards
from services.crm.members import admission, joining, profiles
from services.crm.notifications import channels, delivery, inbox, messages
from services.crm.operator import audit, communities
from services.infra import operations
from services.infra.context import CallerContext
from services.infra.db import Database, utcnow
from services.infra.entrypoints import event_handler, rpc
from services.infra.messaging import EventInbox, OutboxRelay, RetiredHandlers
from services.infra.metrics import Metrics


class CrmService(operations.OperatorEntrypoints):
    name = "crm"

    db = Database()
    metrics = Metrics()
    config = Config()
    caller = CallerContext()
    outbox = OutboxRelay()
    retired = RetiredHandlers()
    inbox = EventInbox()

    @rpc
    def signup_leader(self, payload):
        with self.db.begin():
            return identity.signup_leader(self.db, self.caller, payload)

    @rpc
    def authenticate(self, payload):
        return handlers.authenticate(self.db, payload)

    @rpc
    def join_community(self, slug, payload):
        with self.db.begin():
            return joining.join_community(self.db, self.caller, slug, payload)

    @rpc
    def get_me(self):
        with self.db.begin():
            return handlers.get_me(self.db, self.caller)

    # --- staff (团长助理) ------------------------------------------------------------------------

    @rpc
    def add_staff(self, payload):
        with self.db.begin():
            return staff.add_staff(self.db, self.caller, payload)

    @rpc
    def list_staff(self):
        with self.db.begin():
            return staff.list_staff(self.db, self.caller)

    @rpc
    def remove_staff(self, account_id):
        with self.db.begin():
            return staff.remove_staff(self.db, self.caller, account_id)

    @rpc
    def confirm_staff_access(self):
        with self.db.begin():
            return staff.confirm_staff_access(self.db, self.caller)

    @rpc
    def get_community_card(self, slug):
        with self.db.begin():
            return joining.get_community_card(self.db, slug)

    @rpc
    def list_inbox(self, query, locale=None):
        with self.db.begin():
            return inbox.list_inbox(self.db, self.caller, query, locale or messages.DEFAULT_LOCALE)

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

    # --- members: admission, profiles, tags (准入, 用户画像) --------------------------------------

    @rpc
    def list_members(self, query):
        with self.db.begin():
            return profiles.list_members(self.db, self.caller, query)

    @rpc
    def get_member(self, member_id):
        with self.db.begin():
            return handlers.get_member(self.db, self.caller, member_id)

    @rpc
    def update_member(self, member_id, payload):
        with self.db.begin():
            return handlers.update_member(self.db, self.caller, member_id, payload)

    @rpc
    def approve_member(self, member_id):
        with self.db.begin():
            return admission.approve(self.db, self.caller, member_id)

    @rpc
    def reject_member(self, member_id):
        with self.db.begin():
            return admission.reject(self.db, self.caller, member_id)

    @rpc
    def update_me(self, payload):
        with self.db.begin():
            return profiles.update_me(self.db, self.caller, payload)

    @event_handler("catalog", "product_created")
    def on_product_created(self, payload):
        self.inbox.consume(payload, handlers.record_product)

    @event_handler("catalog", "product_updated")
    def on_product_updated(self, payload):
        self.inbox.consume(payload, handlers.record_product)

    @timer(interval=3600, eager=True)
    def refresh_tags(self):
        """Lifecycle tags move with time alone: once a day for every member, with the repurchase
        predictions (which otherwise follow each member's purchases). Every process ticks hourly;
        each community is claimed and refreshed in its own transaction once a day."""
        handlers.refresh_tags(self.db, utcnow())

    # --- posts (帖子) ------------------------------------------------------------------------

    @rpc
    def create_post(self, payload):
        with self.db.begin():
            return posts.create_post(self.db, self.caller, payload)

    @rpc
    def list_posts(self, query):
        with self.db.begin():
            return posts.list_posts(self.db, self.caller, query)

    @rpc
    def get_post(self, post_id):
        with self.db.begin():
            return posts.get_post(self.db, self.caller, post_id)

    @rpc
    def update_post(self, post_id, payload):
        with self.db.begin():
            return posts.update_post(self.db, self.caller, post_id, payload)

    @rpc
    def delete_post(self, post_id):
        with self.db.begin():
            return posts.delete_post(self.db, self.caller, post_id)

    # --- notification channels and their delivery outbox (通知渠道) ----------------------------

    def _allow_private_hosts(self):
        return str(self.config.get("ALLOW_PRIVATE_CHANNEL_HOSTS", "false")).strip().lower() in (
            "1",
            "true",
            "yes",
        )

    @rpc
    def add_channel(self, payload):
        with self.db.begin():
            return channels.add_channel(self.db, self.caller, payload, self._allow_private_hosts())

    @rpc
    def list_channels(self):
        with self.db.begin():
            return channels.list_channels(self.db, self.caller)

    @rpc
    def remove_channel(self, channel_id):
        with self.db.begin():
            return channels.remove_channel(self.db, self.caller, channel_id)

    @rpc
    def list_deliveries(self, query):
        with self.db.begin():
            return delivery.list_deliveries(self.db, self.caller, query)

    @timer(interval=5)
    def deliver(self):
        """Drain the delivery outbox (its own short transactions: no connection held while
        sending)."""
        delivery.drain(self.db, self._allow_private_hosts())

    # --- prediction, reminders, campaigns, rewards, recommendations (智能预测, 自动化营销) ------

    @timer(interval=60)
    def automate(self):
        """Repurchase reminders and campaigns that are due (each community in its own
        transaction)."""
        automation.tick(self.db, send_reminders=reminders.send_due)

    @event_handler("crm", "member_joined")
    def on_member_joined_campaigns(self, payload):
        self.inbox.consume(payload, automation.on_member_activated)

    @event_handler("crm", "member_approved")
    def on_member_approved_campaigns(self, payload):
        self.inbox.consume(payload, automation.on_member_activated)

    @rpc
    def create_campaign(self, payload):
        with self.db.begin():
            return campaigns.create_campaign(self.db, self.caller, payload)

    @rpc
    def list_campaigns(self, query):
        with self.db.begin():
            return campaigns.list_campaigns(self.db, self.caller, query)

    @rpc
    def get_campaign(self, campaign_id):
        with self.db.begin():
            return campaigns.get_campaign(self.db, self.caller, campaign_id)

    @rpc
    def update_campaign(self, campaign_id, payload):
        with self.db.begin():
            return campaigns.update_campaign(self.db, self.caller, campaign_id, payload)

    @rpc
    def list_rewards(self, query):
        with self.db.begin():
            return rewards.list_rewards(self.db, self.caller, query)

    @rpc
    def create_reward(self, payload):
        with self.db.begin():
            return rewards.create_reward(self.db, self.caller, payload)

    @rpc
    def update_reward(self, reward_id, payload):
        with self.db.begin():
            return rewards.update_reward(self.db, self.caller, reward_id, payload)

    @rpc
    def redeem_reward(self, reward_id, idempotency_key=None):
        with self.db.begin():
            return rewards.redeem(self.db, self.caller, reward_id, idempotency_key)

    @rpc
    def my_recommendations(self):
        with self.db.begin():
            return recommendations.my_recommendations(self.db, self.caller)

    # --- the platform operator (平台运维): every action audited ----------------------------

    @rpc
    def operator_login(self, payload):
        return audit.operator_login(self.db, self.config, payload)

    @rpc
    def record_operator_action(self, payload):
        with self.db.begin():
            return audit.record_action(self.db, self.caller, payload)

    @rpc
    def list_operator_audit(self, query):
        with self.db.begin():
            return audit.list_audit(self.db, self.caller, query)

    @rpc
    def list_communities(self, query):
        with self.db.begin():
            return communities.list_communities(self.db, self.caller, query)

    @rpc
    def suspend_community(self, slug, payload):
        return audit.audited(
            self.db,
            self.caller,
            "suspend",
            slug,
            lambda: communities.suspend(self.db, self.caller, slug, payload),
        )

    @rpc
    def resume_community(self, slug):
        return audit.audited(
            self.db,
            self.caller,
            "resume",
            slug,
            lambda: communities.resume(self.db, self.caller, slug),
        )

    @rpc
    def list_deliveries_across(self, query):
        with self.db.begin():
            return communities.list_deliveries(self.db, self.caller, query)

    @timer(interval=300)
    def prune_login_attempts(self):
        with self.db.begin():
            login_limit.prune(self.db)
