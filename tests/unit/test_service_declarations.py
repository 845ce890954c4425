"""What every service declares to the shared messaging: retired handlers and inbox consumers."""

import importlib

import pytest
from nameko.events import event_handler

from services.infra.messaging import RETIRED_HANDLERS, RetiredHandlers, retired_queues
from services.infra.topology import SERVICES


def service_class(name):
    module = importlib.import_module(f"services.{name}.service")
    (cls,) = [value for value in vars(module).values() if isinstance(value, type) and getattr(value, "name", None) == name]
    return cls


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_deletes_the_queues_of_the_retired_handlers(name):
    (retired,) = [value for value in vars(service_class(name)).values() if isinstance(value, RetiredHandlers)]
    assert retired.handlers == RETIRED_HANDLERS


@pytest.mark.parametrize("name", ["crm", "fulfillment", "referral"])
def test_the_order_placed_handlers_are_retired_once_for_all(name):
    assert ("orders", "order_placed", "on_order_placed") in RETIRED_HANDLERS
    assert f"evt-orders-order_placed--{name}.on_order_placed" in retired_queues(service_class(name), name)


def test_a_handler_a_service_still_has_keeps_its_queue():
    class Listening:
        name = "listening"

        @event_handler("orders", "order_placed")
        def on_order_placed(self, payload):
            pass

        @event_handler("orders", "order_paid")
        def on_order_paid(self, payload):
            pass

    handlers = [("orders", "order_placed", "on_order_placed"), ("orders", "order_cancelled", "on_order_paid"),
                ("orders", "order_refunded", "on_order_refunded")]
    assert retired_queues(Listening, "listening", handlers) == [
        "evt-orders-order_cancelled--listening.on_order_paid", "evt-orders-order_refunded--listening.on_order_refunded"]
