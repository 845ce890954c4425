"""orders' business counters, from the events its transactions write (``services.infra.metrics``):
each is counted once, when the transaction that placed, paid or refunded the order commits.

No label: a tenant or member in a label would be an id, and a series per community.
"""

from prometheus_client import Counter

from services.orders import events

ORDERS_PLACED = Counter("linli_orders_placed_total", "Orders placed")
ORDERS_PAID = Counter("linli_orders_paid_total", "Orders paid")
ORDERS_REFUNDED = Counter(
    "linli_orders_refunded_total", "Refunds made (a partial refund counts too)"
)
GMV_CENTS = Counter(
    "linli_gmv_cents_total", "Gross merchandise value in fen: the totals of the orders paid"
)
REFUNDED_CENTS = Counter("linli_refunded_cents_total", "Fen given back by refunds")


def _paid(data):
    ORDERS_PAID.inc()
    GMV_CENTS.inc(max(0, int(data.get("total_cents") or 0)))


def _refunded(data):
    ORDERS_REFUNDED.inc()
    REFUNDED_CENTS.inc(max(0, int(data.get("amount_cents") or 0)))


COUNTED_EVENTS = {
    events.ORDER_PLACED: lambda data: ORDERS_PLACED.inc(),
    events.ORDER_PAID: _paid,
    events.ORDER_REFUNDED: _refunded,
}
