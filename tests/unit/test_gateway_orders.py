"""The gateway's order route: a live item known sold out is refused without a round trip, except
for the retry of an attempt whose outcome the gateway never learned."""

import json
from collections import OrderedDict
from types import SimpleNamespace

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway import live_room
from gateway.coalescer import Coalescer
from gateway.live_room import LiveRoomServer
from gateway.routes import orders
from services.infra.errors import Conflict, DomainError, ServiceUnavailable, outcome_of

BODY = {
    "items": [{"product_id": "grapes", "quantity": 1}],
    "channel": {"type": "live", "id": "live-1"},
}


def room():
    instance = LiveRoomServer()
    instance.viewers, instance.stock, instance.unsettled = {}, {}, OrderedDict()
    return instance


def sell_out(gateway):
    gateway.live_room.broadcast(
        "t1", "live-1", {"type": "stock", "items": [{"product_id": "grapes", "remaining": 0}]}
    )


def reply(answer):
    """orders' outcome of one attempt: the order, or the domain error it raised."""
    if isinstance(answer, Exception):
        raise answer
    return answer


class Gateway(orders.OrderRoutes):
    """One worker's gateway; ``answers`` are orders' answers to its calls, an attempt each: a
    domain error is that attempt's outcome, any other exception the whole call's failure."""

    def __init__(self, answers, sold_out=True):
        self.answers = list(answers)
        self.calls, self.sent = 0, []
        self.live_room = room()
        self.order_intake = Coalescer()
        self.remote = SimpleNamespace(
            worker_ctx=SimpleNamespace(
                data={
                    "tenant_id": "t1",
                    "account_id": "a1",
                    "member_id": "m1",
                    "role": "member",
                    "correlation_id": "c1",
                    "issued_at": 1700000000,
                }
            )
        )
        if sold_out:
            sell_out(self)

    def call(self, service, method, attempts, waited=0.0):
        assert (service, method) == ("orders", "place_orders")
        assert 0 <= waited < 1  # the batch is sent within what is left of the request's budget
        self.calls += 1
        self.sent.append(attempts)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception) and not isinstance(answer, DomainError):
            raise answer
        return [outcome_of(reply, answer) for _ in attempts]


def request(key="flash-1", token="Bearer member-token"):
    headers = {"Authorization": token, **({"Idempotency-Key": key} if key else {})}
    return Request(
        EnvironBuilder(
            method="POST", data=json.dumps(BODY), headers=headers, content_type="application/json"
        ).get_environ()
    )


def test_a_known_sold_out_item_is_refused_without_a_call():
    gateway = Gateway([])
    with pytest.raises(Conflict):
        gateway.place_order(request())
    assert gateway.calls == 0


def test_the_retry_of_an_attempt_that_got_a_503_reaches_orders_even_when_sold_out():
    """Found by make chaos (RabbitMQ restarted during a flash sale): the first try reserved a unit
    and its answer was lost; the retry, refused as sold out, left that unit held by nobody."""
    gateway = Gateway([ServiceUnavailable("orders did not answer"), {"id": "o1"}], sold_out=False)
    with pytest.raises(ServiceUnavailable):
        gateway.place_order(request())
    sell_out(gateway)  # meanwhile the item sold out
    assert gateway.place_order(request()) == (201, {"id": "o1"})
    assert gateway.calls == 2
    # Each attempt carries its own caller, body and key: the batch call carries only one context.
    assert gateway.sent[-1] == [
        {
            "caller": {
                "tenant_id": "t1",
                "account_id": "a1",
                "member_id": "m1",
                "role": "member",
                "correlation_id": "c1",
                "issued_at": 1700000000,
            },
            "payload": BODY,
            "idempotency_key": "flash-1",
        }
    ]
    # Settled: the next retry with that key is refused at once again, as is anyone else's.
    with pytest.raises(Conflict):
        gateway.place_order(request())
    with pytest.raises(Conflict):
        gateway.place_order(request(token="Bearer another-member"))


def test_a_definite_refusal_settles_the_attempt():
    gateway = Gateway(
        [ConnectionError("broker"), Conflict("sold out", {"reason": "quota_exhausted"})],
        sold_out=False,
    )
    with pytest.raises(ConnectionError):
        gateway.place_order(request())
    sell_out(gateway)
    with pytest.raises(Conflict):
        gateway.place_order(request())  # went to orders, which said no
    assert gateway.calls == 2 and not gateway.live_room.unsettled


def test_without_a_key_nothing_is_remembered():
    gateway = Gateway([ServiceUnavailable("orders did not answer")], sold_out=False)
    with pytest.raises(ServiceUnavailable):
        gateway.place_order(request(key=None))
    assert not gateway.live_room.unsettled


def test_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(live_room, "MAX_UNSETTLED_ATTEMPTS", 3)
    memory = room()
    for index in range(5):
        memory.attempt_ended(f"attempt-{index}", False)
    assert list(memory.unsettled) == ["attempt-2", "attempt-3", "attempt-4"]
