"""fulfillment's figures for the cockpit (数据驾驶舱): orders picked up (取货) in the range.

``completed_orders``: orders whose pickup was verified on a local day of the range; the gateway
divides the after-sale cases opened in the range (``after_sale_stats``) by it.
"""

from sqlalchemy import func, select

from services.fulfillment.models import FulfillmentOrder
from services.infra.periods import day_range


def dashboard_stats(session, caller, date_from, date_to, timezone=None):
    caller.require_staff()
    start, end, _ = day_range(date_from, date_to, timezone)
    completed = session.scalar(
        select(func.count())
        .select_from(FulfillmentOrder)
        .where(
            FulfillmentOrder.tenant_id == caller.tenant_id,
            FulfillmentOrder.picked_up_at >= start,
            FulfillmentOrder.picked_up_at < end,
        )
    )
    return {
        "completed_orders": int(completed),
        "from_at": start.isoformat(),
        "to_at": end.isoformat(),
    }
