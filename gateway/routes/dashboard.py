"""The cockpit (数据驾驶舱): one screen of figures, each answered by the service that owns it.

crm is asked first: it owns the community's clock (timezone, today) and settles the range; the
other services are then asked at once (a green thread each). Any of them down -> 503, never a
half-filled cockpit that looks like a bad week.
"""

import eventlet
from nameko.exceptions import MethodNotFound

from gateway.http import query_args, route
from gateway.routes.roles import STAFF
from gateway.schemas import dashboard as schemas
from services.infra.periods import day_range, ratio

PARALLEL = ("orders", "catalog", "referral", "fulfillment")


class DashboardRoutes:
    @route(
        "GET",
        "/api/v1/dashboard",
        roles=STAFF,
        summary="The cockpit: the community's figures over a range",
        tag="cockpit",
        query=schemas.DashboardQuery,
        response=schemas.Dashboard,
    )
    def dashboard(self, request):
        query = query_args(request, schemas.DashboardQuery)
        date_from, date_to = query.get("date_from"), query.get("date_to")
        if date_from and date_to:
            day_range(date_from, date_to)  # 422 before asking anyone
        iso = {
            key: value.isoformat() if value else None
            for key, value in (("from", date_from), ("to", date_to))
        }
        crm = self.call("crm", "dashboard_stats", iso["from"], iso["to"])
        span = (crm["from"], crm["to"], crm["timezone"])
        start, end, _ = day_range(*span)

        pile = eventlet.GreenPile(len(PARALLEL) + 1)
        for service in PARALLEL:
            pile.spawn(self.call, service, "dashboard_stats", *span)
        pile.spawn(self._after_sale_stats, start.isoformat(), end.isoformat())
        answers = dict(zip((*PARALLEL, "after_sales"), pile, strict=True))
        return compose(crm, answers)

    def _after_sale_stats(self, start, end):
        """fulfillment's after-sale counts; None from a fulfillment that predates after-sales."""
        try:
            return self.call("fulfillment", "after_sale_stats", start, end)
        except MethodNotFound:
            return None


def compose(crm, answers):
    """The cockpit's answer (docs/api.md, Cockpit) from each service's part."""
    orders, fulfillment = answers["orders"], answers["fulfillment"]
    after_sales = answers["after_sales"]
    completed = fulfillment["completed_orders"]
    rate = None if after_sales is None else ratio(after_sales["cases"], completed)
    new_members = {day["date"]: day["new_members"] for day in crm["daily"]}
    return {
        "from": crm["from"],
        "to": crm["to"],
        "timezone": crm["timezone"],
        "gmv_cents": orders["gmv_cents"],
        "orders": orders["orders"],
        "paying_members": orders["paying_members"],
        "aov_cents": orders["aov_cents"],
        "repurchase_rate": orders["repurchase_rate"],
        "new_members": crm["new_members"],
        "members_total": crm["members_total"],
        "live": answers["catalog"]["live"],
        "reminders": crm["reminders"],
        "referrals": answers["referral"]["referrals"],
        "fulfillment": {**orders["fulfillment"], "picked_up_orders": completed},
        "after_sales": after_sales,  # {cases, orders_with_cases}
        "after_sales_rate": rate,  # cases opened / orders picked up, in the range
        "top_products": orders["top_products"],
        "daily": [
            {**day, "new_members": new_members.get(day["date"], 0)} for day in orders["daily"]
        ],
    }
