"""Referral service (邀请裂变): thin nameko entrypoints over the use cases."""

import base64

from eventlet import tpool
from nameko.dependency_providers import Config

from services.infra import operations
from services.infra.context import CallerContext
from services.infra.db import Database
from services.infra.entrypoints import event_handler, rpc
from services.infra.errors import NotFound, ServiceUnavailable
from services.infra.messaging import EventInbox, OutboxRelay, RetiredHandlers
from services.infra.metrics import Metrics
from services.infra.rpc import Rpc
from services.referral import handlers, leaderboard, posters, program, rewards, showcases, stats


def render(draw, facts):
    """Draw in a native thread (CPU work must not block the hub, nor its heartbeats)."""
    try:
        return tpool.execute(draw, **facts)
    except posters.PosterFontMissing as exc:
        raise ServiceUnavailable(str(exc), {"reason": "poster_font_missing"}) from None


def png_answer(png, filename):
    """RPC answers are JSON: the poster travels as base64; the gateway serves the bytes."""
    return {
        "content_base64": base64.b64encode(png).decode("ascii"),
        "filename": filename,
        "content_type": "image/png",
    }


class Orders:
    """The orders call referral makes, as a plain method (easy to fake in tests): an order whose
    completion referral has not heard of yet (see ``showcases``)."""

    def __init__(self, rpc):
        self.rpc = rpc

    def order(self, order_id):
        """The caller's order as orders has it now; ``None`` if orders has none of theirs."""
        try:
            return self.rpc.call("orders", "get_order", order_id)
        except NotFound:
            return None


class Fulfillment:
    """The fulfilment call referral makes: has an order orders still has at the pickup point
    been handed over already (see ``showcases``)?"""

    def __init__(self, rpc):
        self.rpc = rpc

    def order(self, order_id):
        """The caller's order as fulfilment has it now ({order_id, status}); ``None`` if none."""
        try:
            return self.rpc.call("fulfillment", "get_fulfillment", order_id)
        except NotFound:
            return None


class Catalog:
    """The catalog call referral makes: the product a member shares on a poster."""

    def __init__(self, rpc):
        self.rpc = rpc

    def product(self, product_id):
        """The product as catalog shows it to the caller (their community's, on sale); catalog's
        ``NotFound`` otherwise."""
        return self.rpc.call("catalog", "get_product", product_id)


class Crm:
    """The crm call referral makes: who the calling member is, when referral has not heard of
    them joining yet (see ``handlers.my_invite``)."""

    def __init__(self, rpc):
        self.rpc = rpc

    def me(self):
        return self.rpc.call("crm", "get_me")


class ReferralService(operations.OperatorEntrypoints):
    name = "referral"

    db = Database()
    metrics = Metrics()
    caller = CallerContext()
    outbox = OutboxRelay()
    retired = RetiredHandlers()
    inbox = EventInbox()
    remote = Rpc()
    config = Config()

    @property
    def public_url(self):
        return self.config.get("PUBLIC_URL", "http://127.0.0.1:8000")

    @rpc
    def get_my_referral(self):
        with self.db.begin():  # the member's code may be made now (see handlers.my_invite)
            return handlers.get_my_referral(self.db, self.caller, Crm(self.remote), self.public_url)

    @rpc
    def check_invite_code(self, slug, code):
        return handlers.check_invite_code(self.db, slug, code)

    @rpc
    def list_referrals(self, query):
        return handlers.list_referrals(self.db, self.caller, query)

    @rpc
    def get_settings(self):
        return program.get_settings(self.db, self.caller)

    @rpc
    def update_settings(self, payload):
        with self.db.begin():
            return program.update_settings(self.db, self.caller, payload)

    @rpc
    def leaderboard(self, query):
        return leaderboard.leaderboard(self.db, self.caller, query)

    @rpc
    def create_showcase(self, payload):
        with self.db.begin():
            return showcases.create_showcase(
                self.db, self.caller, Orders(self.remote), Fulfillment(self.remote), payload
            )

    @rpc
    def list_showcases(self, query):
        return showcases.list_showcases(self.db, self.caller, query)

    @rpc
    def approve_showcase(self, showcase_id):
        with self.db.begin():
            return showcases.approve_showcase(self.db, self.caller, showcase_id)

    @rpc
    def reject_showcase(self, showcase_id):
        with self.db.begin():
            return showcases.reject_showcase(self.db, self.caller, showcase_id)

    @rpc
    def invite_poster(self):
        with self.db.begin():
            rules = program.for_tenant(self.db, self.caller.require_tenant())
            facts = handlers.invite_poster_facts(
                self.db,
                self.caller,
                Crm(self.remote),
                self.public_url,
                rules["invitee_reward_cents"],
            )
        return png_answer(render(posters.invite_poster, facts), "invite.png")

    @rpc
    def product_poster(self, product_id):
        self.caller.require_member()
        product = Catalog(self.remote).product(product_id)
        with self.db.begin():
            facts = handlers.product_poster_facts(
                self.db, self.caller, Crm(self.remote), self.public_url, product
            )
        return png_answer(render(posters.product_poster, facts), f"product-{product['id']}.png")

    @event_handler("crm", "community_created")
    def on_community_created(self, payload):
        self.inbox.consume(payload, handlers.record_community_created)

    @event_handler("crm", "member_joined")
    def on_member_joined(self, payload):
        self.inbox.consume(payload, handlers.record_member_joined)

    @event_handler("orders", "order_paid")
    def on_order_paid(self, payload):
        self.inbox.consume(payload, rewards.record_order_paid)

    @event_handler("orders", "order_cancelled")
    def on_order_cancelled(self, payload):
        self.inbox.consume(payload, rewards.record_order_cancelled)

    @event_handler("orders", "order_completed")
    def on_order_completed(self, payload):
        self.inbox.consume(payload, rewards.record_order_completed)

    @event_handler("orders", "order_refunded")
    def on_order_refunded(self, payload):
        self.inbox.consume(payload, rewards.record_order_refunded)

    @rpc
    def dashboard_stats(self, date_from, date_to, timezone=None):
        """This service's figures for the cockpit (数据驾驶舱), see ``stats``."""
        with self.db.begin():
            return stats.dashboard_stats(self.db, self.caller, date_from, date_to, timezone)
