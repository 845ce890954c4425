"""The HTTP contract as marshmallow schemas, one module per module of
``gateway/routes/`` (``routes/orders.py`` validates and documents with ``schemas/orders.py``),
and ``common`` for what every area shares (the problem body, pages, a deletion's answer).
``live_room`` holds what the websocket reads from catalog's events; ``routes/web.py`` (files)
and ``routes/roles.py`` take no input and have none.

The gateway validates every body and query with these before calling a service, and the
OpenAPI document is generated from them. Services validate again with their own schemas:
contracts are copied, not shared.
"""
