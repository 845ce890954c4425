"""Prepare a deployment before any service starts: migrate every database, declare queues.

nameko drops an event published before its consumer's queue exists, so on a fresh deploy the
queues of every ``@event_handler`` are declared here, before a producer can publish.
Run as ``python deploy/bootstrap.py`` (make run does); safe to run again.
"""

import importlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kombu import Connection, Queue  # noqa: E402
from nameko.events import EventHandler, get_event_exchange  # noqa: E402
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR  # noqa: E402

from services.infra.migrations import service_names, upgrade  # noqa: E402


def event_queues(service_cls):
    """(source service, event type, queue name) of each event handler of ``service_cls``."""
    for method_name in dir(service_cls):
        method = getattr(service_cls, method_name)
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, EventHandler):
                source, event_type = entrypoint.source_service, entrypoint.event_type
                # nameko's own naming for a service-pool handler (see EventHandler.setup)
                queue = f"evt-{source}-{event_type}--{service_cls.name}.{method_name}"
                yield source, event_type, queue


def service_class(name):
    module = importlib.import_module(f"services.{name}.service")
    return next(
        value for value in vars(module).values()
        if isinstance(value, type) and getattr(value, "name", None) == name
    )


def declare_queues(amqp_uri, services=None):
    """The queues of every event handler of ``services`` (default: every service, as migrated)."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        for name in services or service_names():
            for source, event_type, queue_name in event_queues(service_class(name)):
                exchange = get_event_exchange(source, {})
                Queue(queue_name, exchange=exchange, routing_key=event_type, durable=True)(channel).declare()
                print(f"declared {queue_name}", flush=True)


def main():
    for name in service_names():
        upgrade(name)
        print(f"migrated {name}", flush=True)
    declare_queues(os.environ.get("LINLI_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
