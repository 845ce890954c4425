"""Prepare a deployment before any service starts: migrate every database, declare queues.

nameko drops an event published before its consumer's queue exists, so on a fresh deploy the
queues of every ``@event_handler`` are declared here, before a producer can publish, with each
service's RPC queue: quorum queues with a delivery limit and a dead-letter queue
(``services.infra.queues``). A queue left from a deployment with classic queues is replaced by
its quorum queue here, with every message it held; stop the services of the previous version
first (the move refuses a queue that still has consumers). Run as ``python deploy/bootstrap.py``
(make run does, and compose's ``migrate`` step); safe to run again.
"""

import importlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kombu import Connection  # noqa: E402
from nameko.events import SERVICE_POOL, EventHandler  # noqa: E402
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR  # noqa: E402

from services.infra import queues  # noqa: E402
from services.infra.migrations import service_names, upgrade  # noqa: E402


def service_queues(name):
    """The quorum queues the service ``name`` consumes: its RPC queue and the queue of each of
    its service-pool event handlers (named and bound as nameko does, see EventHandler.setup)."""
    yield queues.rpc_queue(name, {})
    service_cls = service_class(name)
    for method_name in dir(service_cls):
        method = getattr(service_cls, method_name)
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, EventHandler) and entrypoint.handler_type is SERVICE_POOL:
                yield queues.event_queue(
                    entrypoint.source_service, entrypoint.event_type, name, method_name, {}
                )


def service_class(name):
    module = importlib.import_module(f"services.{name}.service")
    return next(
        value
        for value in vars(module).values()
        if isinstance(value, type) and getattr(value, "name", None) == name
    )


def declare_queues(amqp_uri, services=None):
    """The queues of ``services`` (default: every service, as migrated), as quorum queues."""
    with Connection(amqp_uri) as connection:
        for name in services or service_names():
            for queue in service_queues(name):
                outcome = queues.ensure_quorum(connection, queue)
                print(f"{outcome} {queue.name}", flush=True)


def main():
    for name in service_names():
        upgrade(name)
        print(f"migrated {name}", flush=True)
    try:
        declare_queues(os.environ.get("LINLI_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    except queues.MigrationRefused as refused:
        print(f"not migrating the queues: {refused}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
