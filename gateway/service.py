"""The gateway (网关): HTTP API /api/v1 in front of the services. No database of its own.

Each route validates its input against the HTTP contract, calls one service by RPC (with a
deadline) and answers JSON; every failure is problem+json (see ``gateway.http``).
"""

import eventlet
from nameko.dependency_providers import Config

from gateway import schemas
from gateway.auth import TokenIssuer
from gateway.http import json_body, query_args, route
from gateway.openapi import build_spec
from services.infra.errors import invalid
from services.infra.rpc import Rpc

SERVICES = ("catalog", "orders", "fulfillment", "crm", "referral")
STAFF = ("leader", "staff")
MEMBER = ("member",)
ANYONE = ("leader", "staff", "member")


class GatewayService:
    name = "gateway"

    remote = Rpc()
    config = Config()
    tokens = TokenIssuer()

    def _timeout(self):
        return float(self.config.get("RPC_TIMEOUT_SECONDS", 4))

    def call(self, service, method, *args, **kwargs):
        return self.remote.call(service, method, *args, timeout=self._timeout(), **kwargs)

    def session(self, identity, status=200, **extra):
        """A login's answer: the token and who it is for."""
        token = self.tokens.issue(identity)
        return status, {"token": token, "role": identity["role"], "community": identity["community"], **extra}

    # --- operations -------------------------------------------------------------------------

    @route("GET", "/health", summary="Each service's health", tag="operations", response=schemas.Health)
    def health(self, request):
        timeout = float(self.config.get("HEALTH_TIMEOUT_SECONDS", 1.5))
        pile = eventlet.GreenPile(len(SERVICES))
        for service in SERVICES:
            pile.spawn(self._ping, service, timeout)
        services = dict(zip(SERVICES, pile, strict=True))
        down = sorted(name for name, state in services.items() if state != "ok")
        if down:
            return 503, {"status": "unavailable", "services": services, "down": down}
        return 200, {"status": "ok", "services": services, "down": []}

    def _ping(self, service, timeout):
        try:
            self.remote.call(service, "ping", timeout=timeout)
            return "ok"
        except Exception:
            return "unavailable"

    @route("GET", "/api/v1/openapi.json", summary="This document", tag="operations")
    def openapi(self, request):
        return 200, build_spec()

    # --- communities and accounts (crm) -----------------------------------------------------

    @route("POST", "/api/v1/leaders/signup", summary="A leader opens a community", tag="accounts",
           body=schemas.LeaderSignup, response=schemas.Session)
    def signup(self, request):
        identity = self.call("crm", "signup_leader", json_body(request, schemas.LeaderSignup()))
        return self.session(identity, status=201)

    @route("POST", "/api/v1/auth/login", summary="Log in with phone and password", tag="accounts",
           status="200", body=schemas.Login, response=schemas.Session)
    def login(self, request):
        identity = self.call("crm", "authenticate", json_body(request, schemas.Login()))
        return self.session(identity)

    @route("GET", "/api/v1/me", roles=ANYONE, summary="Who I am", tag="accounts", response=schemas.Me)
    def me(self, request):
        return self.call("crm", "get_me")

    @route("GET", "/api/v1/communities/<slug>", summary="A community's public card", tag="accounts",
           response=schemas.CommunityCard)
    def community_card(self, request, slug):
        return self.call("crm", "get_community_card", slug)

    @route("POST", "/api/v1/communities/<slug>/join", summary="A resident joins", tag="accounts",
           body=schemas.Join, response=schemas.JoinResult)
    def join(self, request, slug):
        payload = json_body(request, schemas.Join())
        payload["birthday"] = payload["birthday"].isoformat() if payload.get("birthday") else None
        identity = self.call("crm", "join_community", slug, payload)
        return self.session(identity, status=201, member=identity["member"])

    # --- catalog -----------------------------------------------------------------------------

    @route("POST", "/api/v1/products", roles=STAFF, summary="Add a product", tag="catalog",
           body=schemas.ProductBody, response=schemas.Product)
    def create_product(self, request):
        return 201, self.call("catalog", "create_product", json_body(request, schemas.ProductBody()))

    @route("GET", "/api/v1/products", roles=ANYONE, summary="Products", tag="catalog",
           query=schemas.ProductQuery, response=schemas.page_of(schemas.Product))
    def list_products(self, request):
        return self.call("catalog", "list_products", query_args(request, schemas.ProductQuery()))

    @route("GET", "/api/v1/products/<product_id>", roles=ANYONE, summary="A product", tag="catalog",
           response=schemas.Product)
    def get_product(self, request, product_id):
        return self.call("catalog", "get_product", product_id)

    @route("PATCH", "/api/v1/products/<product_id>", roles=STAFF, summary="Edit a product", tag="catalog",
           body=schemas.ProductBody, response=schemas.Product)
    def update_product(self, request, product_id):
        payload = json_body(request, schemas.ProductBody(), partial=True)
        return self.call("catalog", "update_product", product_id, payload)

    # --- orders ------------------------------------------------------------------------------

    @route("POST", "/api/v1/orders", roles=MEMBER, summary="Place an order (Idempotency-Key)", tag="orders",
           body=schemas.PlaceOrder, response=schemas.Order)
    def place_order(self, request):
        payload = json_body(request, schemas.PlaceOrder())
        key = request.headers.get("Idempotency-Key")
        if key is not None and not (1 <= len(key) <= 128 and key.isprintable()):
            raise invalid({"Idempotency-Key": ["1-128 printable characters."]})
        return 201, self.call("orders", "place_order", payload, idempotency_key=key)

    @route("GET", "/api/v1/orders", roles=ANYONE, summary="Orders (leader: all; member: own)", tag="orders",
           query=schemas.OrderQuery, response=schemas.page_of(schemas.Order))
    def list_orders(self, request):
        return self.call("orders", "list_orders", query_args(request, schemas.OrderQuery()))

    @route("GET", "/api/v1/orders/<order_id>", roles=ANYONE, summary="An order with its timeline", tag="orders",
           response=schemas.Order)
    def get_order(self, request, order_id):
        return self.call("orders", "get_order", order_id)

    # --- referral ----------------------------------------------------------------------------

    @route("GET", "/api/v1/me/referral", roles=MEMBER, summary="My invite code and link", tag="referral",
           response=schemas.Referral)
    def my_referral(self, request):
        return self.call("referral", "get_my_referral")
