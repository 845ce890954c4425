"""The HTTP contract as marshmallow schemas, one module per module of
``gateway/routes/`` (``routes/orders.py`` validates and documents with ``schemas/orders.py``),
and ``common`` for what every area shares (the problem body, pages, a deletion's answer).

The gateway validates every body and query with these before calling a service, and the
OpenAPI document is generated from them. Services validate again with their own schemas:
contracts are copied, not shared.
"""
