"""The RPC entrypoint every service uses (services/infra/entrypoints.py)."""

from unittest import mock

import pytest
from kombu.exceptions import OperationalError
from nameko.rpc import Rpc

from services.infra.entrypoints import ResilientRpc, rpc
from services.infra.errors import DomainError


def entrypoint(cls, failure):
    extension = cls.__new__(cls)
    consumer = mock.Mock()
    consumer.handle_result.side_effect = failure
    extension.__dict__["rpc_consumer"] = consumer
    return extension


@pytest.mark.parametrize("failure", [OperationalError("[Errno 111] ECONNREFUSED"),
                                     ConnectionResetError("reset by peer")])
def test_an_answer_the_broker_cannot_take_does_not_kill_the_service(failure):
    """Found by make chaos (RabbitMQ restarted during a flash sale): nameko's own entrypoint
    raises here, which kills the service's container, so the process exits."""
    with pytest.raises(type(failure)):
        Rpc.handle_result(entrypoint(Rpc, failure), "message", mock.Mock(call_id="orders.place_order.1"),
                          {"id": "o1"}, None)
    resilient = entrypoint(ResilientRpc, failure)
    assert resilient.handle_result("message", mock.Mock(call_id="orders.place_order.1"), {"id": "o1"}, None) \
        == ({"id": "o1"}, None)


def test_other_errors_still_surface():
    with pytest.raises(ValueError):
        entrypoint(ResilientRpc, ValueError("a bug")).handle_result("message", mock.Mock(), None, None)


def test_services_declare_their_rpcs_with_it():
    def get_thing(self):
        return 1

    decorated = rpc(get_thing)
    (declared,) = decorated.nameko_entrypoints
    assert type(declared) is ResilientRpc and declared.expected_exceptions == DomainError
