"""Orders (orders)."""

import hashlib
import time

from gateway.coalescer import SharedCoalescer
from gateway.http import json_body, query_args, route
from gateway.routes.roles import ANYONE, LEADER, MEMBER, STAFF
from gateway.schemas import orders as schemas
from gateway.schemas.common import page_of
from services.infra import idempotency
from services.infra.context import Caller
from services.infra.errors import Conflict, DomainError, value_of

# The header as the OpenAPI document declares it (``headers=`` of a route that reads it).
IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 128},
    "description": "A retry with the same key and body gets the first answer; "
    "the same key with another body is 409.",
}


class OrderRoutes:
    # Orders placed at the same time go to orders as one place_orders call: an RPC message's own
    # cost outweighs an order's work (see gateway.coalescer).
    order_intake = SharedCoalescer()

    @route(
        "POST",
        "/api/v1/orders",
        roles=MEMBER,
        summary="Place an order (Idempotency-Key)",
        tag="orders",
        body=schemas.PlaceOrder,
        response=schemas.Order,
        headers=(IDEMPOTENCY_KEY,),
    )
    def place_order(self, request):
        payload = json_body(request, schemas.PlaceOrder)
        key = idempotency_key(request)
        attempt = self.refuse_known_sold_out(request, payload, key)
        # Each attempt carries its own caller: the batch's RPC carries only its leader's context.
        caller = Caller.from_context(self.remote.worker_ctx.data).as_context()
        arrived = time.monotonic()
        try:
            # Leading a batch after waiting for the one before, it is sent within what is left.
            outcome = self.order_intake.submit(
                {"caller": caller, "payload": payload, "idempotency_key": key},
                lambda attempts: self.call(
                    "orders", "place_orders", attempts, waited=time.monotonic() - arrived
                ),
            )
            order = value_of(outcome)
        except Exception as exc:
            # orders' refusal (4xx) is an outcome; a 5xx, a timeout or a lost connection is not.
            self.live_room.attempt_ended(attempt, isinstance(exc, DomainError) and exc.status < 500)
            raise
        self.live_room.attempt_ended(attempt, True)
        return 201, order

    def refuse_known_sold_out(self, request, payload, key):
        """A live item this process already saw sell out is refused here, without a round trip:
        in a flash sale most buyers are too late, and they should cost next to nothing. Answers
        the attempt the live room remembers until its outcome is known (keyed live orders only)."""
        channel = payload.get("channel") or {}
        if channel.get("type") != "live":
            return None
        attempt = attempt_of(request, key)
        product_id = self.live_room.sold_out(
            channel.get("id"), [item["product_id"] for item in payload["items"]], attempt
        )
        if product_id is not None:
            raise Conflict(
                "This product is sold out in this live session.",
                {"product_id": product_id, "reason": "quota_exhausted", "available": 0},
            )
        return attempt

    @route(
        "GET",
        "/api/v1/orders",
        roles=ANYONE,
        summary="Orders (leader: all; member: own)",
        tag="orders",
        query=schemas.OrderQuery,
        response=page_of(schemas.Order),
    )
    def list_orders(self, request):
        return self.call("orders", "list_orders", query_args(request, schemas.OrderQuery))

    @route(
        "GET",
        "/api/v1/orders/<order_id>",
        roles=ANYONE,
        summary="An order with its timeline",
        tag="orders",
        response=schemas.Order,
    )
    def get_order(self, request, order_id):
        return self.call("orders", "get_order", order_id)

    @route(
        "POST",
        "/api/v1/orders/<order_id>/pay",
        roles=MEMBER,
        summary="Pay an order (sandbox or offline; Idempotency-Key)",
        tag="orders",
        status="200",
        body=schemas.PayBody,
        response=schemas.PaymentStarted,
        headers=(IDEMPOTENCY_KEY,),
    )
    def pay(self, request, order_id):
        payload = json_body(request, schemas.PayBody)
        return self.call(
            "orders", "start_payment", order_id, payload, idempotency_key=idempotency_key(request)
        )

    @route(
        "POST",
        "/api/v1/orders/<order_id>/mark-paid",
        roles=STAFF,
        summary="Leader: paid in person (Idempotency-Key)",
        tag="orders",
        status="200",
        response=schemas.PaidInPerson,
        headers=(IDEMPOTENCY_KEY,),
    )
    def mark_paid(self, request, order_id):
        return self.call("orders", "mark_paid", order_id, idempotency_key=idempotency_key(request))

    @route(
        "POST",
        "/api/v1/orders/<order_id>/cancel",
        roles=ANYONE,
        summary="Cancel before packing",
        tag="orders",
        status="200",
        response=schemas.OrderStatus,
    )
    def cancel(self, request, order_id):
        return self.call("orders", "cancel_order", order_id)

    @route(
        "POST",
        "/api/v1/orders/<order_id>/refund",
        roles=LEADER,
        summary="Refund, whole or partial, also after completion (Idempotency-Key)",
        tag="orders",
        status="200",
        body=schemas.RefundBody,
        response=schemas.RefundResult,
        headers=(IDEMPOTENCY_KEY,),
    )
    def refund(self, request, order_id):
        payload = json_body(request, schemas.RefundBody)
        return self.call(
            "orders", "refund_order", order_id, payload, idempotency_key=idempotency_key(request)
        )


def attempt_of(request, key):
    """One buyer's keyed order attempt (None without a key), as the live room remembers it."""
    if key is None:
        return None
    token = request.headers.get("Authorization", "")
    return hashlib.sha256(f"{token}\n{key}".encode()).hexdigest()


def idempotency_key(request):
    """The client's ``Idempotency-Key`` header (None without one): a retry with the same key and
    body gets the first answer; the same key with another body is 409."""
    return idempotency.checked_key(request.headers.get(idempotency.HEADER))
