"""Events catalog publishes (through its outbox). Catalog consumes none yet."""

PRODUCT_CREATED = "product_created"
