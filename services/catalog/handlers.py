"""Catalog use cases: plain functions over a session, scoped to the caller's community."""

import logging

from sqlalchemy import bindparam, select, update

from services.catalog import channels, events, live, waves
from services.catalog.models import Product, StockReservation
from services.catalog.schemas import (
    PRODUCT,
    PRODUCT_INPUT,
    PRODUCT_QUERY,
    RESERVATION_INPUT,
    RESERVE_STOCKS_INPUT,
)
from services.infra.batches import together_or_each
from services.infra.context import Caller
from services.infra.db import compare_and_set, get_in_community, in_transaction, newest_first
from services.infra.errors import Conflict, DomainError, NotFound, ServiceUnavailable, outcome_of
from services.infra.messaging import emit, inbox_consumer
from services.infra.schemas import decode_cursor, load, page

ORDER_CANCELLED = events.OrderCancelledData()
# The channels an order may name besides the shop: how to open one for an order, and its kind.
CHANNELS = {"wave": (waves.open_wave, waves.CHANNEL), "live": (live.open_session, live.CHANNEL)}
KINDS = {kind.type: kind for _, kind in CHANNELS.values()}

log = logging.getLogger(__name__)

# Built once: these run for every order.
_RESERVATION_OF = select(StockReservation).where(
    StockReservation.tenant_id == bindparam("tenant_id"),
    StockReservation.reservation_key == bindparam("key"),
)
_TAKE_STOCK = (
    update(Product)
    .where(
        Product.id == bindparam("product_id"),
        Product.tenant_id == bindparam("community"),
        Product.stock >= bindparam("quantity"),
    )
    .values(stock=Product.stock - bindparam("quantity"))
    .returning(Product.stock)
    .execution_options(synchronize_session=False)
)


def _product(session, tenant_id, product_id):
    return get_in_community(
        session, Product, product_id, tenant_id, "No such product in this community.", "product_id"
    )


def _product_event(session, type_, product, correlation_id=None, stock=None):
    """``product_created|product_updated`` for crm's read model (tags, recommendations)."""
    stock = product.stock if stock is None else stock
    emit(
        session,
        type_,
        {
            "product_id": product.id,
            "name": product.name,
            "category": product.category,
            "tags": product.tags,
            "price_cents": product.price_cents,
            "in_stock": stock > 0,
            "on_sale": product.status == "on_sale",
        },
        tenant_id=product.tenant_id,
        correlation_id=correlation_id,
    )


def create_product(session, caller, payload):
    caller.require_staff()
    data = load(PRODUCT_INPUT, payload)
    product = Product(tenant_id=caller.tenant_id, **data)
    session.add(product)
    session.flush()
    _product_event(session, events.PRODUCT_CREATED, product, caller.correlation_id)
    return PRODUCT.dump(product)


def update_product(session, caller, product_id, payload):
    caller.require_staff()
    data = load(PRODUCT_INPUT, payload, partial=True)
    product = _product(session, caller.tenant_id, product_id)
    was = (product.stock > 0, product.status == "on_sale")
    for field, value in data.items():
        setattr(product, field, value)
    session.flush()
    # crm reads these (tags, recommendations): an event only when one of them changes, and for
    # stock only on the transitions to or from none, not on every restock.
    if {"name", "category", "tags", "price_cents"} & set(data) or was != (
        product.stock > 0,
        product.status == "on_sale",
    ):
        _product_event(session, events.PRODUCT_UPDATED, product, caller.correlation_id)
    return PRODUCT.dump(product)


def get_product(session, caller, product_id):
    product = _product(session, caller.require_tenant(), product_id)
    if product.status != "on_sale" and not caller.is_staff:
        raise NotFound("No such product in this community.", {"product_id": product_id})
    return PRODUCT.dump(product)


def list_products(session, caller, query):
    params = load(PRODUCT_QUERY, query)
    statement = select(Product).where(Product.tenant_id == caller.require_tenant())
    if not caller.is_staff:
        statement = statement.where(Product.status == "on_sale")
    if params["category"]:
        statement = statement.where(Product.category == params["category"])
    statement = newest_first(statement, Product, decode_cursor(params["cursor"]), params["limit"])
    return page([PRODUCT.dump(p) for p in session.scalars(statement)], params["limit"])


def reserve_stock(session, caller, payload):
    """Hold stock for an order: all lines or none, never below zero. Idempotent per key.

    Returns the priced lines the order snapshots. A short line raises ``Conflict`` naming the
    product and what is left; the caller's transaction then rolls every decrement back.
    Through a wave or a live session (``channel: {type: wave|live, id}``) a line costs the
    channel's price and also takes its quota and the member's limit (``channels.reserve_line``);
    a live session must be live, and its room hears of the purchase.
    """
    tenant_id = caller.require_tenant()
    data = load(RESERVATION_INPUT, payload)
    existing = session.scalars(
        _RESERVATION_OF, {"tenant_id": tenant_id, "key": data["reservation_key"]}
    ).first()
    if existing is not None:
        if existing.status != "reserved":
            raise Conflict(
                "This reservation was already released.",
                {"reservation_key": existing.reservation_key},
            )
        return {"reservation_key": existing.reservation_key, "lines": existing.lines}

    channel = data["channel"] or {"type": "shop", "id": None}
    kind = owner = member_id = None
    if channel["type"] in CHANNELS:
        open_channel, kind = CHANNELS[channel["type"]]
        owner = open_channel(session, tenant_id, channel["id"])
        member_id = caller.member_id
    quantities = {}
    for item in data["items"]:
        quantities[item["product_id"]] = quantities.get(item["product_id"], 0) + item["quantity"]
    lines = []
    for product_id, quantity in quantities.items():
        product = _product(session, tenant_id, product_id)
        if product.status != "on_sale":
            raise Conflict(
                "This product is not on sale.", {"product_id": product_id, "reason": "not_on_sale"}
            )
        price_cents = product.price_cents
        if kind is not None:
            price_cents = channels.reserve_line(
                session, kind, tenant_id, owner.id, member_id, product_id, quantity
            ).price_cents
        # The conditional decrement is the guard against overselling under concurrency.
        left = session.execute(
            _TAKE_STOCK, {"product_id": product_id, "community": tenant_id, "quantity": quantity}
        ).first()
        if left is None:
            session.refresh(product)
            raise Conflict(
                f"Not enough stock of {product.name}.",
                {
                    "product_id": product_id,
                    "reason": "out_of_stock",
                    "available": product.stock,
                    "requested": quantity,
                },
            )
        if left.stock == 0:  # sold out: crm stops recommending it (only this transition is told)
            _product_event(session, events.PRODUCT_UPDATED, product, caller.correlation_id, stock=0)
        lines.append(
            {
                "product_id": product.id,
                "name": product.name,
                "unit": product.unit,
                "unit_price_cents": price_cents,
                "quantity": quantity,
            }
        )
    session.add(
        StockReservation(
            tenant_id=tenant_id,
            reservation_key=data["reservation_key"],
            lines=lines,
            channel_type=kind.type if kind else None,
            channel_id=owner.id if owner else None,
            member_id=member_id,
            total_cents=sum(line["unit_price_cents"] * line["quantity"] for line in lines),
        )
    )
    session.flush()
    if kind is live.CHANNEL:
        live.record_purchase(session, owner, member_id, lines, caller.correlation_id)
    return {"reservation_key": data["reservation_key"], "lines": lines}


def reserve_stocks(session, requests):
    """``reserve_stock`` for a batch of orders in one RPC: the per-message cost of an RPC
    outweighs an order's own work, so orders reserves many at once.

    ``requests``: ``[{caller: {tenant_id, member_id, correlation_id}, reservation}]``, each acting
    for its own member (not for whoever sent the batch). The batch is reserved in one
    transaction; if any is refused (sold out, quota, limit) or fails, that transaction is rolled
    back and each is reserved in a transaction of its own, so one refusal undoes no other.
    Answers one ``outcome_of`` per request, in order; a bad batch shape is ``Invalid`` and takes
    nothing.
    """
    data = [
        (Caller(role="member", **request["caller"]), request["reservation"])
        for request in load(RESERVE_STOCKS_INPUT, {"requests": requests})["requests"]
    ]
    return together_or_each(
        session,
        data,
        _reserve_all,
        lambda request: outcome_of(_reserve_one, session, *request),
        what="reservations",
    )


def _reserve_all(session, data):
    return [{"value": reserve_stock(session, caller, reservation)} for caller, reservation in data]


def _reserve_one(session, caller, reservation):
    """One request of a batch; a fault (not a refusal) is logged and answers 503 for it alone."""
    try:
        # A concurrent call with the same key winning the race: its reservation is the answer.
        return in_transaction(session, reserve_stock, caller, reservation)
    except DomainError:
        raise
    except Exception as exc:
        log.exception(
            "reserving %r for %s failed unexpectedly",
            reservation.get("reservation_key"),
            caller.tenant_id,
        )
        raise ServiceUnavailable("The stock could not be reserved.") from exc


def release_stock(session, caller, reservation_key):
    """Give a reservation's stock back (order cancelled or never created). Idempotent.

    The reservation's ``reserved -> released`` is a compare-and-set and the stock goes back only
    when this call won it: two deliveries of ``order_cancelled`` in two processes (or the event
    and orders' sweeper) release once, never twice."""
    tenant_id = caller.require_tenant()
    reservation = session.scalars(
        select(StockReservation).where(
            StockReservation.tenant_id == tenant_id,
            StockReservation.reservation_key == reservation_key,
        )
    ).first()
    if reservation is None or not compare_and_set(
        session,
        StockReservation,
        (StockReservation.id == reservation.id, StockReservation.status == "reserved"),
        {"status": "released"},
    ):
        return {"reservation_key": reservation_key, "released": False}
    kind = KINDS.get(reservation.channel_type)
    for line in reservation.lines:
        now = session.execute(
            update(Product)
            .where(Product.id == line["product_id"], Product.tenant_id == tenant_id)
            .values(stock=Product.stock + line["quantity"])
            .returning(Product.stock)
            .execution_options(synchronize_session=False)
        ).first()
        if now is not None and now.stock == line["quantity"] > 0:  # back in stock from none
            _product_event(
                session,
                events.PRODUCT_UPDATED,
                _product(session, tenant_id, line["product_id"]),
                caller.correlation_id,
                stock=now.stock,
            )
        if kind is not None:
            channels.release_line(
                session,
                kind,
                tenant_id,
                reservation.channel_id,
                reservation.member_id,
                line["product_id"],
                line["quantity"],
            )
    if kind is live.CHANNEL:
        live.record_release(
            session,
            tenant_id,
            reservation.channel_id,
            [line["product_id"] for line in reservation.lines],
        )
    return {"reservation_key": reservation_key, "released": True}


@inbox_consumer("services.catalog.handlers:release_for_cancelled_order")
def release_for_cancelled_order(session, event):
    """``orders.order_cancelled`` -> the order's stock goes back on the shelf (idempotent)."""
    data = load(ORDER_CANCELLED, event["data"])
    release_stock(session, Caller(tenant_id=event["tenant_id"]), data["order_id"])
