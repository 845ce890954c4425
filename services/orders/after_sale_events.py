"""Orders follows after-sale (售后): each case and compensation fulfilment announces is kept on
the order's history (``after_sales``, ``compensations`` in the order's output).

Events of different types travel on different queues: a compensation may arrive before the
case it resolves was heard of, so each event carries what its case row needs, and a closed
case is never reopened by a late ``after_sale_opened``.
"""

from services.infra.messaging import inbox_consumer
from services.infra.schemas import load
from services.orders.events import (
    AfterSaleOpenedData,
    AfterSaleRejectedData,
    CompensationGrantedData,
)
from services.orders.lifecycle import order_of_event
from services.orders.models import OrderAfterSale, OrderCompensation

OPENED, REJECTED, GRANTED = (
    AfterSaleOpenedData(),
    AfterSaleRejectedData(),
    CompensationGrantedData(),
)


def _case(session, order, case_id, kind, at, status):
    case = session.get(OrderAfterSale, case_id)
    if case is None:
        session.add(OrderAfterSale(id=case_id, order_id=order.id, kind=kind, status=status, at=at))
    elif status != "open":
        case.status = status


@inbox_consumer("services.orders.after_sale_events:apply_after_sale_opened")
def apply_after_sale_opened(session, event):
    data = load(OPENED, event["data"])
    order = order_of_event(session, event, data["order_id"])
    if order is not None:
        _case(session, order, data["case_id"], data["kind"], data["at"], "open")


@inbox_consumer("services.orders.after_sale_events:apply_after_sale_rejected")
def apply_after_sale_rejected(session, event):
    data = load(REJECTED, event["data"])
    order = order_of_event(session, event, data["order_id"])
    if order is not None:
        _case(session, order, data["case_id"], data["kind"], data["opened_at"], "rejected")


@inbox_consumer("services.orders.after_sale_events:apply_compensation_granted")
def apply_compensation_granted(session, event):
    data = load(GRANTED, event["data"])
    order = order_of_event(session, event, data["order_id"])
    if order is None:
        return
    if session.get(OrderCompensation, data["compensation_id"]) is None:
        session.add(
            OrderCompensation(
                id=data["compensation_id"],
                order_id=order.id,
                type=data["type"],
                amount=data["amount"],
                at=data["at"],
            )
        )
    if data["case_id"]:
        _case(
            session,
            order,
            data["case_id"],
            data["case_kind"] or "other",
            data["case_opened_at"] or data["at"],
            "resolved",
        )
