"""The inbox persists each consumer as ``module:qualname`` (inbox and parked-event rows) and
resolves it again to retry a parked event: crm's consumers keep the ids they had."""

import pytest

from services.crm import handlers, loyalty
from services.infra.messaging import _resolve, consumer_name


@pytest.mark.parametrize("consumer, persisted", [
    (loyalty.on_order_paid, "services.crm.loyalty:on_order_paid"),
    (loyalty.on_order_cancelled, "services.crm.loyalty:on_order_cancelled"),
    (loyalty.on_order_completed, "services.crm.loyalty:on_order_completed"),
    (loyalty.on_order_refunded, "services.crm.loyalty:on_order_refunded"),
    (handlers.record_order_paid, "services.crm.handlers:record_order_paid"),
    (handlers.record_order_cancelled, "services.crm.handlers:record_order_cancelled"),
    (handlers.record_order_refunded, "services.crm.handlers:record_order_refunded"),
    (handlers.record_product, "services.crm.handlers:record_product"),
    (handlers.notify_pickup_ready, "services.crm.handlers:notify_pickup_ready"),
    (handlers.remind_pickup, "services.crm.handlers:remind_pickup"),
])
def test_a_consumer_keeps_its_persisted_id(consumer, persisted):
    assert (consumer_name(consumer), _resolve(persisted)) == (persisted, consumer)
