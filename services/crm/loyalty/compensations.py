"""After-sale compensation (售后补偿) in the member's wallet: fulfilment decides, crm gives.

``fulfillment.compensation_granted`` of type ``coupon`` puts a fixed coupon of ``amount`` fen
(no minimum spend, valid ``VALID_DAYS`` days) in the member's wallet; of type ``points``, adds
``amount`` points with the leader's reason. Both are keyed ``compensation:<id>``, so a
redelivered event gives nothing more. A ``refund`` is orders' business: nothing to do here.

The event's tolerant schema is in ``services.crm.events``.
"""

from services.crm.events import COMPENSATION_GRANTED
from services.crm.loyalty import coupons, ledger
from services.infra.messaging import inbox_consumer
from services.infra.schemas import load

VALID_DAYS = 30


def source_key(compensation_id):
    return f"compensation:{compensation_id}"


@inbox_consumer("services.crm.compensations:on_compensation_granted")
def on_compensation_granted(session, event):
    data = load(COMPENSATION_GRANTED, event["data"])
    key = source_key(data["compensation_id"])
    if data["type"] == "coupon" and data["amount"] > 0:
        spec = {
            "kind": "fixed",
            "amount_cents": data["amount"],
            "min_spend_cents": 0,
            "valid_days": VALID_DAYS,
        }
        coupons.issue_coupon(
            session, event["tenant_id"], data["member_id"], spec, "compensation", key
        )
    elif data["type"] == "points":
        ledger.award_points(
            session,
            event["tenant_id"],
            data["member_id"],
            data["amount"],
            key,
            f"售后补偿: {data['reason']}"[:200],
            order_id=data["order_id"],
        )
