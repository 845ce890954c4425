"""What every service declares to the shared messaging: retired handlers and inbox consumers."""

import importlib
import types

import pytest
from nameko.events import EventHandler, event_handler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.infra.messaging import (
    CONSUMERS,
    RETIRED_HANDLERS,
    RetiredHandlers,
    consumer_id_of,
    inbox_consumer,
    retired_queues,
)
from services.infra.topology import SERVICES


def service_class(name):
    module = importlib.import_module(f"services.{name}.service")
    (cls,) = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and getattr(value, "name", None) == name
    ]
    return cls


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_deletes_the_queues_of_the_retired_handlers(name):
    (retired,) = [
        value for value in vars(service_class(name)).values() if isinstance(value, RetiredHandlers)
    ]
    assert retired.handlers == RETIRED_HANDLERS


@pytest.mark.parametrize("name", ["crm", "fulfillment", "referral"])
def test_the_order_placed_handlers_are_retired_once_for_all(name):
    assert ("orders", "order_placed", "on_order_placed") in RETIRED_HANDLERS
    assert f"evt-orders-order_placed--{name}.on_order_placed" in retired_queues(
        service_class(name), name
    )


def test_a_handler_a_service_still_has_keeps_its_queue():
    class Listening:
        name = "listening"

        @event_handler("orders", "order_placed")
        def on_order_placed(self, payload):
            pass

        @event_handler("orders", "order_paid")
        def on_order_paid(self, payload):
            pass

    handlers = [
        ("orders", "order_placed", "on_order_placed"),
        ("orders", "order_cancelled", "on_order_paid"),
        ("orders", "order_refunded", "on_order_refunded"),
    ]
    assert retired_queues(Listening, "listening", handlers) == [
        "evt-orders-order_cancelled--listening.on_order_paid",
        "evt-orders-order_refunded--listening.on_order_refunded",
    ]


# --- inbox consumers ---------------------------------------------------------------------------

# The ids persisted in every service's inbox and parked_events tables. They equal the Python names
# the consumers had when ids were declared, so no row had to change; they must never change again
# (a parked event names its consumer by id). A new consumer adds its line here.
CONSUMER_IDS = {
    "catalog": {
        "services.catalog.handlers:release_for_cancelled_order",
        "services.catalog.live:record_member_joined",
    },
    "orders": {
        "services.orders.after_sale_events:apply_after_sale_opened",
        "services.orders.after_sale_events:apply_after_sale_rejected",
        "services.orders.after_sale_events:apply_compensation_granted",
        "services.orders.checkout_terms:record_change",
        "services.orders.community_status:record_resumed",
        "services.orders.community_status:record_suspended",
        "services.orders.fulfilment_events:apply_order_dispatched",
        "services.orders.fulfilment_events:apply_order_packed",
        "services.orders.fulfilment_events:apply_order_picked_up",
        "services.orders.fulfilment_events:apply_order_ready_for_pickup",
    },
    "fulfillment": {
        "services.fulfillment.handlers:record_community_created",
        "services.fulfillment.handlers:record_member_joined",
        "services.fulfillment.handlers:record_order_cancelled",
        "services.fulfillment.handlers:record_order_paid",
        "services.fulfillment.handlers:record_order_refunded",
        "services.fulfillment.handlers:record_wave_closed",
    },
    "crm": {
        "services.crm.campaigns:on_member_activated",
        "services.crm.compensations:on_compensation_granted",
        "services.crm.handlers:notify_pickup_ready",
        "services.crm.handlers:record_order_cancelled",
        "services.crm.handlers:record_order_paid",
        "services.crm.handlers:record_order_refunded",
        "services.crm.handlers:record_product",
        "services.crm.handlers:remind_pickup",
        "services.crm.loyalty:on_order_cancelled",
        "services.crm.loyalty:on_order_completed",
        "services.crm.loyalty:on_order_paid",
        "services.crm.loyalty:on_order_refunded",
        "services.crm.referral_rewards:on_referral_reward_revoked",
        "services.crm.referral_rewards:on_referral_rewarded",
        "services.crm.referral_rewards:on_showcase_approved",
    },
    "referral": {
        "services.referral.handlers:record_community_created",
        "services.referral.handlers:record_member_joined",
        "services.referral.rewards:record_order_cancelled",
        "services.referral.rewards:record_order_completed",
        "services.referral.rewards:record_order_paid",
        "services.referral.rewards:record_order_refunded",
    },
}


class Recorder:
    """Stands for ``self.inbox``: what an event entrypoint hands to ``consume``."""

    def __init__(self):
        self.handlers = []

    def consume(self, payload, handler):
        self.handlers.append(handler)


def consumed(name):
    """``{entrypoint name: handler}`` of every event entrypoint of the service ``name``."""
    cls, found = service_class(name), {}
    for attribute in dir(cls):
        method = getattr(cls, attribute)
        if any(
            isinstance(entrypoint, EventHandler)
            for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ())
        ):
            recorder = Recorder()
            method(types.SimpleNamespace(inbox=recorder), {})
            (found[attribute],) = recorder.handlers
    return found


@pytest.mark.parametrize("name", SERVICES)
def test_every_consumer_of_every_service_has_its_declared_id(name):
    handlers = consumed(name)
    assert handlers, name
    undeclared = sorted(
        attribute
        for attribute, handler in handlers.items()
        if not hasattr(handler, "inbox_consumer_id")
    )
    assert not undeclared, (
        f"{name}: entrypoints whose use case has no @inbox_consumer(...): {undeclared}"
    )
    assert {consumer_id_of(handler) for handler in handlers.values()} == CONSUMER_IDS[name]


@pytest.mark.parametrize("name", SERVICES)
def test_one_id_is_one_function_in_each_service(name):
    by_id = {}
    for handler in consumed(name).values():
        by_id.setdefault(consumer_id_of(handler), set()).add(handler)
    assert all(len(functions) == 1 for functions in by_id.values())
    assert all(CONSUMERS[consumer] in functions for consumer, functions in by_id.items())


def test_no_id_is_used_by_two_services():
    everyone = [consumer for name in SERVICES for consumer in CONSUMER_IDS[name]]
    assert len(everyone) == len(set(everyone))


def test_an_id_cannot_be_declared_for_two_functions():
    def first(session, event):
        pass

    def second(session, event):
        pass

    inbox_consumer("tests.declarations:only_once")(first)
    inbox_consumer("tests.declarations:only_once")(
        first
    )  # declaring the same one again is harmless
    with pytest.raises(ValueError):
        inbox_consumer("tests.declarations:only_once")(second)
    with pytest.raises(ValueError):
        inbox_consumer("tests.declarations:another_name")(first)
    del CONSUMERS["tests.declarations:only_once"]


def test_an_undeclared_handler_is_refused():
    def anonymous(session, event):
        pass

    with pytest.raises(LookupError):
        consumer_id_of(anonymous)
