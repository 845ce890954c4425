"""Fulfilment use cases."""

from services.fulfillment import events
from services.fulfillment.models import FulfillmentOrder
from services.infra.errors import NotFound
from services.infra.schemas import load

ORDER_PLACED = events.OrderPlacedData()



def record_order_placed(session, event):
    """``orders.order_placed`` -> an order waiting for payment before it can be batched."""
    data = load(ORDER_PLACED, event["data"])
    if session.get(FulfillmentOrder, data["order_id"]) is None:
        session.add(FulfillmentOrder(
            order_id=data["order_id"], tenant_id=event["tenant_id"], member_id=data["member_id"],
            channel_type=data["channel"]["type"], channel_id=data["channel"]["id"],
            items=[{"product_id": line["product_id"], "name": line["name"], "quantity": line["quantity"]}
                   for line in data["lines"]],
            total_quantity=sum(line["quantity"] for line in data["lines"]),
        ))


def _set_status(session, event, status):
    data = load(ORDER_PLACED, event["data"])  # paid/cancelled carry the same order facts
    record = session.get(FulfillmentOrder, data["order_id"])
    if record is None:
        record_order_placed(session, event)  # the status overtook order_placed
        record = session.get(FulfillmentOrder, data["order_id"])
    record.status = status


def record_order_paid(session, event):
    """Paid orders are the ones to pick and pack."""
    _set_status(session, event, "to_pack")


def record_order_cancelled(session, event):
    """A cancelled order leaves the lists."""
    _set_status(session, event, "cancelled")


def get_fulfillment(session, caller, order_id):
    record = session.get(FulfillmentOrder, order_id) if isinstance(order_id, str) else None
    if record is None or record.tenant_id != caller.require_tenant():
        raise NotFound("No such order in fulfilment.", {"order_id": order_id})
    if not caller.is_staff and record.member_id != caller.member_id:
        raise NotFound("No such order in fulfilment.", {"order_id": order_id})
    return {"order_id": record.order_id, "status": record.status, "items": record.items,
            "total_quantity": record.total_quantity}
