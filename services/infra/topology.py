"""The services Linli is made of: the one list every script, route and test reads.

Standard library only, and no imports: ``deploy/run.py`` reads it without nameko. Files that
cannot import it (``docker-compose.yml``, ``deploy/k8s/``, ``deploy/postgres-init.sql``,
``config/``) are checked against it by ``tests/unit/test_topology.py``.
"""

# In the order of the design's table (DESIGN.md "Shape"); each has its package services/<name>.
SERVICES = ("catalog", "orders", "fulfillment", "crm", "referral")
GATEWAY = "gateway"  # the HTTP gateway: a nameko service too, with no database of its own
