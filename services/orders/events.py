"""Events orders publishes (through its outbox)."""

ORDER_PLACED = "order_placed"
ORDER_PAID = "order_paid"
ORDER_CANCELLED = "order_cancelled"
ORDER_REFUNDED = "order_refunded"
