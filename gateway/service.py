"""The gateway (网关): HTTP API /api/v1 in front of the services. No database of its own.

Each route validates its input against the HTTP contract, calls one service by RPC (with a
deadline) and answers JSON; every failure is problem+json (see ``gateway.http``). Routes live in
``gateway/routes/``, one module per area; this class combines them with their dependencies.
"""

from nameko.dependency_providers import Config

# Modules, not classes, are imported: ``nameko run gateway.service`` must find one service here.
from gateway.auth import TokenIssuer
from gateway.routes import (
    accounts,
    after_sales,
    campaigns,
    dashboard,
    fulfillment,
    live_room,
    live_sessions,
    loyalty,
    members,
    notifications,
    operations,
    operator,
    orders,
    payments,
    posts,
    products,
    recommendations,
    referral,
    rewards,
    settings,
    showcases,
    waves,
    web,
)
from services.infra.metrics import Metrics
from services.infra.rpc import Rpc


class GatewayService(
    operations.OperationsRoutes,
    operator.OperatorRoutes,
    accounts.AccountRoutes,
    products.ProductRoutes,
    waves.WaveRoutes,
    live_sessions.LiveSessionRoutes,
    orders.OrderRoutes,
    payments.PaymentRoutes,
    referral.ReferralRoutes,
    showcases.ShowcaseRoutes,
    fulfillment.FulfillmentRoutes,
    after_sales.AfterSaleRoutes,
    live_room.LiveRoomRoutes,
    settings.SettingsRoutes,
    loyalty.LoyaltyRoutes,
    members.MemberRoutes,
    posts.PostRoutes,
    notifications.NotificationRoutes,
    campaigns.CampaignRoutes,
    rewards.RewardRoutes,
    recommendations.RecommendationRoutes,
    dashboard.DashboardRoutes,
    web.WebRoutes,
):
    name = "gateway"

    remote = Rpc()
    config = Config()
    metrics = Metrics()
    tokens = TokenIssuer()

    def call(self, service, method, *args, waited=0.0, **kwargs):
        """One RPC within the gateway's deadline (503 when the service does not answer).
        ``waited``: seconds of the request's budget spent already (an order waiting for its
        batch)."""
        timeout = self._budget() - waited
        self._confirm_staff_access(timeout)
        return self.remote.call(service, method, *args, timeout=timeout, **kwargs)

    def confirm_access(self):
        """What ``call`` asks first, alone: is this staff token's access still there? (401 if
        not)"""
        self._confirm_staff_access(self._budget())

    def _budget(self):
        return float(self.config.get("RPC_TIMEOUT_SECONDS", 4))

    def _confirm_staff_access(self, timeout):
        """A staff token (团长助理) is honoured only while crm says its account still has access.

        Tokens are stateless JWTs checked here without a lookup, so a helper the leader removed
        would keep their access until the token expires (a week). The simplest sound check is
        crm's: the account must still be active staff, and a token issued before the account was
        last removed is refused (see ``services.crm.staff``). An authenticated request reaches a
        service only through this method, so asking once per request, before its first call,
        covers every route (and the live room's join) with no revocation list or cache that
        could lag. Only staff pay the extra lookup: leaders and members are not removed this way.
        """
        if self.remote.worker_ctx.data.get("role") != "staff" or getattr(
            self, "_staff_access_confirmed", False
        ):
            return
        self.remote.call("crm", "confirm_staff_access", timeout=timeout)
        self._staff_access_confirmed = True  # the service instance lives for this one request

    def session(self, identity, status=200, **extra):
        """A login's answer: the token and who it is for."""
        token = self.tokens.issue(identity)
        return status, {
            "token": token,
            "role": identity["role"],
            "community": identity["community"],
            **extra,
        }
