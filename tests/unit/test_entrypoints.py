"""The RPC entrypoint every service uses (services/infra/entrypoints.py)."""

from unittest import mock

import pytest
from kombu.exceptions import OperationalError
from nameko.constants import NON_PERSISTENT
from nameko.rpc import Rpc

from services.infra.entrypoints import LightResponder, ResilientRpc, rpc
from services.infra.errors import DomainError


def entrypoint(cls):
    extension = cls.__new__(cls)
    extension.__dict__["rpc_consumer"] = mock.Mock()
    extension.__dict__["container"] = mock.Mock(config={"AMQP_URI": "memory://"})
    return extension


def answering(failure):
    return mock.patch.object(LightResponder, "send_response", side_effect=failure)


@pytest.mark.parametrize(
    "failure", [OperationalError("[Errno 111] ECONNREFUSED"), ConnectionResetError("reset by peer")]
)
def test_an_answer_the_broker_cannot_take_does_not_kill_the_service(failure):
    """Found by make chaos (RabbitMQ restarted during a flash sale): nameko's own entrypoint
    raises here, which kills the service's container, so the process exits."""
    nameko_own = entrypoint(Rpc)
    nameko_own.rpc_consumer.handle_result.side_effect = failure
    with pytest.raises(type(failure)):
        Rpc.handle_result(
            nameko_own, "message", mock.Mock(call_id="orders.place_order.1"), {"id": "o1"}, None
        )
    resilient = entrypoint(ResilientRpc)
    with answering(failure):
        assert resilient.handle_result(
            "message", mock.Mock(call_id="orders.place_order.1"), {"id": "o1"}, None
        ) == ({"id": "o1"}, None)
    assert not resilient.rpc_consumer.queue_consumer.ack_message.called  # redelivered, then expired


def test_other_errors_still_surface():
    with answering(ValueError("a bug")), pytest.raises(ValueError):
        entrypoint(ResilientRpc).handle_result("message", mock.Mock(), None, None)


def test_an_answer_goes_without_confirms_as_a_transient_message_then_the_call_is_acked():
    """A lost answer is a call that times out; a confirm would cost a broker round trip each."""
    publisher = LightResponder.publisher_cls
    assert (publisher.use_confirms, publisher.delivery_mode) == (False, NON_PERSISTENT)
    resilient = entrypoint(ResilientRpc)
    with answering(None) as send:
        send.return_value = ({"id": "o1"}, None)
        assert resilient.handle_result("message", mock.Mock(), {"id": "o1"}, None) == (
            {"id": "o1"},
            None,
        )
    send.assert_called_once_with({"id": "o1"}, None)
    resilient.rpc_consumer.queue_consumer.ack_message.assert_called_once_with("message")


def test_services_declare_their_rpcs_with_it():
    def get_thing(self):
        return 1

    decorated = rpc(get_thing)
    (declared,) = decorated.nameko_entrypoints
    assert type(declared) is ResilientRpc and declared.expected_exceptions == DomainError


@pytest.mark.parametrize("method", ["ack_message", "requeue_message"])
@pytest.mark.parametrize(
    "failure", [ConnectionResetError(104, "Connection reset by peer"), BrokenPipeError()]
)
def test_settling_a_message_on_a_dead_connection_does_not_kill_the_service(method, failure):
    """Found by make chaos (RabbitMQ restarted during a flash sale): orders acked a reply from
    catalog on a connection the broker had reset; nameko caught only amqp's ConnectionError, the
    socket error killed the service."""
    from nameko.messaging import QueueConsumer

    import services.infra.broker  # noqa: F401  (installed on import, as the services do)

    message = mock.Mock()
    message.ack.side_effect = message.requeue.side_effect = failure
    assert getattr(QueueConsumer.__new__(QueueConsumer), method)(message) is None
    assert (message.ack if method == "ack_message" else message.requeue).called


def test_installing_twice_wraps_once():
    from nameko.messaging import QueueConsumer

    from services.infra import broker

    before = QueueConsumer.ack_message
    broker.install()
    assert QueueConsumer.ack_message is before
