"""Acknowledgements that outlive the broker's connection.

nameko acknowledges a message only while its connection looks alive, and means to ignore a
connection that closes meanwhile, but it catches only amqp's ``ConnectionError``: a socket error
(``ConnectionResetError`` when RabbitMQ restarts) escapes, and nameko then kills the whole
service (a reply to an RPC call the service made, an event handled, a request answered). The
broker has already taken back every unacknowledged message of a dead connection, so there is
nothing to do but say so; the consumers reconnect by themselves.

Installed on import (services.infra.entrypoints and services.infra.rpc import it, so every
service and the gateway has it). The patch wraps nameko 2.14.1's ``QueueConsumer.ack_message``
and ``requeue_message`` (pinned in pyproject.toml): on an upgrade, check whether nameko catches
socket errors there itself, and drop this module if it does.
"""

import logging
from functools import wraps

from nameko.messaging import QueueConsumer

log = logging.getLogger(__name__)


def _tolerant(method):
    @wraps(method)
    def settle(self, message):
        try:
            return method(self, message)
        except OSError as exc:  # ConnectionResetError, BrokenPipeError, ...
            log.warning(
                "could not settle a message (the broker connection is gone: %s); "
                "the broker delivers it again",
                exc,
            )
            return None

    settle.linli_tolerant = True
    return settle


def install():
    for name in ("ack_message", "requeue_message"):
        current = getattr(QueueConsumer, name)
        if not getattr(current, "linli_tolerant", False):
            setattr(QueueConsumer, name, _tolerant(current))


install()
