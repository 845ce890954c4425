"""Events orders publishes (through its outbox)."""

ORDER_PLACED = "order_placed"
