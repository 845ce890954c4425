"""Quorum queues for RPC and events, classic ones for broadcasts (services/infra/queues.py,
services/infra/entrypoints.py, deploy/bootstrap.py's declarations)."""

import importlib.util
from pathlib import Path
from unittest import mock

import pytest
from amqp.exceptions import PreconditionFailed
from nameko.containers import ServiceContainer
from nameko.events import BROADCAST, EventHandler
from nameko.rpc import Rpc

from gateway.service import GatewayService
from services.infra import queues
from services.infra.entrypoints import QuorumEventHandler, QuorumRpcConsumer, ResilientRpc
from services.infra.topology import SERVICES

REPO = Path(__file__).resolve().parents[2]
QUORUM = {
    "x-queue-type": "quorum",
    "x-delivery-limit": queues.DELIVERY_LIMIT,
    "x-dead-letter-exchange": queues.DEAD_LETTER_EXCHANGE,
}


def _bootstrap():
    spec = importlib.util.spec_from_file_location(
        "linli_bootstrap_unit", REPO / "deploy" / "bootstrap.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bootstrap = _bootstrap()


def container_of(service_cls):
    """The service's container, its consumers set up (nothing connects to a broker)."""
    container = ServiceContainer(service_cls, config={"AMQP_URI": "memory://"})
    for entrypoint in container.entrypoints:
        if isinstance(entrypoint, EventHandler):
            entrypoint.setup()
        if isinstance(entrypoint, Rpc):
            entrypoint.setup()
            entrypoint.rpc_consumer.setup()
    return container


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_consumes_its_rpc_and_event_queues_as_quorum_queues(name):
    container = container_of(bootstrap.service_class(name))
    rpcs = [e for e in container.entrypoints if isinstance(e, Rpc)]
    handlers = [e for e in container.entrypoints if isinstance(e, EventHandler)]
    assert rpcs and all(type(e) is ResilientRpc for e in rpcs)
    assert all(type(e) is QuorumEventHandler for e in handlers)  # never nameko's own event_handler
    consumer = rpcs[0].rpc_consumer
    assert type(consumer) is QuorumRpcConsumer
    assert (consumer.queue.name, consumer.queue.routing_key, consumer.queue.exchange.name) == (
        f"rpc-{name}",
        f"{name}.*",
        "nameko-rpc",
    )
    for queue in [consumer.queue, *(e.queue for e in handlers)]:
        assert isinstance(queue, queues.QuorumQueue)
        assert queue.queue_arguments == QUORUM and queue.durable
        assert not queue.exclusive and not queue.auto_delete  # a quorum queue can be neither


@pytest.mark.parametrize("name", SERVICES)
def test_bootstrap_declares_exactly_the_queues_the_service_consumes(name):
    """Declared before services start (events published meanwhile are kept), with the same
    arguments: a declaration with other arguments would be refused by the broker."""
    container = container_of(bootstrap.service_class(name))
    consumed = {
        (e.rpc_consumer.queue if isinstance(e, Rpc) else e.queue)
        for e in container.entrypoints
        if isinstance(e, (Rpc, EventHandler))
    }
    declared = list(bootstrap.service_queues(name))
    assert {q.name for q in declared} == {q.name for q in consumed}
    by_name = {q.name: q for q in consumed}
    for queue in declared:
        twin = by_name[queue.name]
        assert (queue.queue_arguments, queue.routing_key, queue.exchange.name, queue.durable) == (
            twin.queue_arguments,
            twin.routing_key,
            twin.exchange.name,
            twin.durable,
        )


def test_the_live_rooms_broadcast_queue_stays_classic():
    """One queue per gateway process, gone with it: exclusive and auto-delete, which a quorum
    queue cannot be."""
    container = container_of(GatewayService)
    (handler,) = [e for e in container.entrypoints if isinstance(e, EventHandler)]
    assert handler.handler_type == BROADCAST
    assert (
        not handler.queue.queue_arguments and handler.queue.exclusive and handler.queue.auto_delete
    )
    assert not isinstance(handler.queue, queues.QuorumQueue)


def test_a_broadcast_handler_declared_through_ours_stays_classic_too():
    class Service:
        name = "watcher"

        @QuorumEventHandler.decorator(
            "catalog", "live_room_changed", handler_type=BROADCAST, reliable_delivery=False
        )
        def on_change(self, payload):
            pass

    (handler,) = container_of(Service).entrypoints
    assert not isinstance(handler.queue, queues.QuorumQueue) and handler.queue.exclusive


def test_declaring_a_quorum_queue_declares_the_dead_letter_queue_first():
    channel = mock.Mock()
    channel.prepare_queue_arguments.side_effect = lambda arguments, **_: arguments
    channel.queue_declare.return_value = ("q", 0, 0)
    queues.rpc_queue("orders", {})(channel).declare()
    declared = [c.kwargs["queue"] for c in channel.queue_declare.call_args_list]
    assert declared == [queues.DEAD_LETTER_QUEUE, "rpc-orders"]
    exchanges = {
        c.kwargs["exchange"]: c.kwargs["type"] for c in channel.exchange_declare.call_args_list
    }
    assert exchanges[queues.DEAD_LETTER_EXCHANGE] == "headers"
    kept = [
        c.kwargs["arguments"]
        for c in channel.queue_bind.call_args_list
        if c.kwargs["queue"] == queues.DEAD_LETTER_QUEUE
    ]
    # What a delivery limit or a rejection took out is kept; an expired RPC request (its
    # caller gave up) matches no binding and is dropped.
    assert sorted(a["x-first-death-reason"] for a in kept) == ["delivery_limit", "rejected"]
    assert all(a["x-match"] == "all-with-x" for a in kept)  # "all" ignores x- headers


class FakeConnection:
    """Channels whose declarations of the quorum queue are refused (a classic one is there)."""

    def __init__(self, refuse):
        self.refuse = refuse
        self.channels = []

    def channel(self):
        channel = mock.MagicMock()
        channel.__enter__.return_value = channel
        if self.refuse:
            channel.queue_declare.side_effect = PreconditionFailed(
                "inequivalent arg 'x-queue-type'"
            )
        self.channels.append(channel)
        return channel


def test_a_classic_queue_of_the_same_name_is_migrated():
    connection = FakeConnection(refuse=True)
    with mock.patch.object(queues, "migrate") as migrate:
        assert queues.ensure_quorum(connection, queues.rpc_queue("crm", {})) == "migrated"
    migrate.assert_called_once()


def test_a_queue_that_is_already_quorum_is_left_alone():
    connection = FakeConnection(refuse=False)
    with (
        mock.patch.object(queues, "_exists", return_value=False),
        mock.patch.object(queues, "migrate") as migrate,
    ):
        assert queues.ensure_quorum(connection, queues.rpc_queue("crm", {})) == "declared"
    assert not migrate.called


def test_the_migration_refuses_a_queue_that_still_has_consumers():
    """It deletes the classic queue: a consumer of the previous version would lose what it holds."""
    connection = FakeConnection(refuse=False)
    connection.channel = mock.MagicMock(return_value=mock.MagicMock())
    channel = connection.channel.return_value.__enter__.return_value
    channel.queue_declare.return_value = ("rpc-crm", 3, 1)
    with pytest.raises(queues.MigrationRefused, match="1 consumers"):
        queues.migrate(connection, queues.rpc_queue("crm", {}))
    assert not channel.queue_delete.called and not channel.queue_unbind.called
