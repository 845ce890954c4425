"""nameko's ``rpc`` and ``event_handler`` on quorum queues, with domain errors marked as
expected, lighter answers, and answers that outlive the broker.

Every service's RPC queue and service-pool event-handler queues are quorum queues with a delivery
limit and a dead-letter exchange (``services.infra.queues``); services import ``rpc`` and
``event_handler`` from here, never from nameko. A broadcast handler (the gateway's live room)
keeps nameko's classic, exclusive, auto-delete queue.

A ``NotFound`` or ``Conflict`` is an answer, not a fault: nameko then logs it as a warning
instead of an error with a traceback, so real faults stand out in the logs.

Answers are published like our requests, without publisher confirms and as transient messages
(``services.infra.rpc.LightPublisher``).

nameko kills the whole service when a worker cannot publish its answer (the broker restarting
while a call was being handled): the process exits, and ``make run`` stops everything with it.
The caller has given up by then (its call times out), so the answer is dropped with a warning
and the service carries on; its consumers reconnect by themselves.
"""

import logging

from kombu.exceptions import OperationalError
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.events import SERVICE_POOL, EventHandler
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange

from services.infra import (
    broker,  # noqa: F401  (acks that outlive the connection)
    queues,
)
from services.infra.errors import DomainError
from services.infra.rpc import LightPublisher

log = logging.getLogger(__name__)


class LightResponder(Responder):
    publisher_cls = LightPublisher


class QuorumRpcConsumer(RpcConsumer):
    """The service's ``rpc-<service>`` queue, shared by all its processes (competing consumers),
    as a quorum queue."""

    def setup(self):
        super().setup()
        self.queue = queues.rpc_queue(self.container.service_name, self.container.config)


class QuorumEventHandler(EventHandler):
    """A service-pool handler's queue (one per service and method, shared by the service's
    processes) as a quorum queue; any other (broadcast, singleton, unreliable) stays as nameko
    makes it."""

    def setup(self):
        super().setup()
        if self.handler_type is SERVICE_POOL and self.reliable_delivery:
            self.queue = queues.event_queue(
                self.source_service,
                self.event_type,
                self.container.service_name,
                self.method_name,
                self.container.config,
            )


event_handler = QuorumEventHandler.decorator


class ResilientRpc(Rpc):
    rpc_consumer = QuorumRpcConsumer()

    def handle_result(self, message, worker_ctx, result, exc_info):
        config = self.container.config
        responder = LightResponder(
            config[AMQP_URI_CONFIG_KEY],
            get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        try:
            result, exc_info = responder.send_response(result, exc_info)
        except (OperationalError, OSError) as exc:  # OSError: ConnectionError, socket errors
            log.warning(
                "could not answer %s (the broker is unreachable: %s); the caller's call times out",
                worker_ctx.call_id,
                exc,
            )
            return result, exc_info
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info


def rpc(fn):
    return ResilientRpc.decorator(expected_exceptions=DomainError)(fn)
