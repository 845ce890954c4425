"""The cockpit route composes the services' parts: who is asked what, and what comes back."""

import eventlet
import pytest
from conftest import FakeGateway
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.http import problem_from
from services.infra.errors import Invalid, ServiceUnavailable

CRM = {
    "timezone": "Asia/Shanghai",
    "from": "2026-03-02",
    "to": "2026-03-03",
    "new_members": 3,
    "members_total": 10,
    "reminders": {"sent": 4, "converted": 1},
    "daily": [{"date": "2026-03-02", "new_members": 1}, {"date": "2026-03-03", "new_members": 2}],
}
PARTS = {
    "orders": {
        "gmv_cents": 7260,
        "orders": 3,
        "paying_members": 2,
        "aov_cents": 2420,
        "repurchase_rate": 0.5,
        "top_products": [
            {"product_id": "milk", "name": "牛奶", "quantity": 4, "revenue_cents": 5160}
        ],
        "fulfillment": {"avg_paid_to_completed_hours": 26.0, "completed_orders": 4},
        "daily": [
            {"date": "2026-03-02", "gmv_cents": 2580, "orders": 1},
            {"date": "2026-03-03", "gmv_cents": 4680, "orders": 2},
        ],
    },
    "catalog": {"live": {"sessions": 1, "viewers": 4, "buyers": 2, "conversion_rate": 0.5}},
    "referral": {"referrals": {"invited": 2, "rewarded": 1}},
    "fulfillment": {"completed_orders": 4},
}


def Gateway(down=None):
    """The cockpit's five services; ``down`` does not answer in time."""

    def answer(service, method, *args):
        eventlet.sleep(0)
        if service == down:
            raise ServiceUnavailable(
                f"The {service} service did not answer in time.", {"service": service}
            )
        if service == "crm":
            return CRM
        if method == "after_sale_stats":
            return {"cases": 1, "orders_with_cases": 1}
        return PARTS[service]

    return FakeGateway(answer)


def request(query=""):
    return Request(EnvironBuilder(path="/api/v1/dashboard", query_string=query).get_environ())


def test_crm_settles_the_range_then_every_part_is_composed():
    gateway = Gateway()
    answer = gateway.dashboard(request())
    assert gateway.calls[0] == ("crm", "dashboard_stats", None, None)
    span = ("2026-03-02", "2026-03-03", "Asia/Shanghai")
    assert sorted(gateway.calls[1:]) == sorted(
        [
            ("orders", "dashboard_stats", *span),
            ("catalog", "dashboard_stats", *span),
            ("referral", "dashboard_stats", *span),
            ("fulfillment", "dashboard_stats", *span),
            # Local midnights as UTC instants.
            (
                "fulfillment",
                "after_sale_stats",
                "2026-03-01T16:00:00+00:00",
                "2026-03-03T16:00:00+00:00",
            ),
        ]
    )
    assert answer == {
        "from": "2026-03-02",
        "to": "2026-03-03",
        "timezone": "Asia/Shanghai",
        "gmv_cents": 7260,
        "orders": 3,
        "paying_members": 2,
        "aov_cents": 2420,
        "repurchase_rate": 0.5,
        "new_members": 3,
        "members_total": 10,
        "live": PARTS["catalog"]["live"],
        "reminders": {"sent": 4, "converted": 1},
        "referrals": {"invited": 2, "rewarded": 1},
        "fulfillment": {
            "avg_paid_to_completed_hours": 26.0,
            "completed_orders": 4,
            "picked_up_orders": 4,
        },
        "after_sales": {"cases": 1, "orders_with_cases": 1},
        "after_sales_rate": 0.25,
        "top_products": PARTS["orders"]["top_products"],
        "daily": [
            {"date": "2026-03-02", "gmv_cents": 2580, "orders": 1, "new_members": 1},
            {"date": "2026-03-03", "gmv_cents": 4680, "orders": 2, "new_members": 2},
        ],
    }


def test_given_dates_go_to_crm_as_iso_dates():
    gateway = Gateway()
    gateway.dashboard(request("from=2026-03-02&to=2026-03-03"))
    assert gateway.calls[0] == ("crm", "dashboard_stats", "2026-03-02", "2026-03-03")


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-03-04&to=2026-03-03",
        "from=2025-01-01&to=2026-03-03",
        "from=yesterday",
        "to=2026-02-30",
        "days=7",
    ],
)
def test_a_bad_range_is_refused_before_asking_anyone(query):
    gateway = Gateway()
    with pytest.raises(Invalid):
        gateway.dashboard(request(query))
    assert gateway.calls == []


@pytest.mark.parametrize("service", ["crm", "orders", "referral"])
def test_a_service_down_is_a_503_not_a_partial_cockpit(service):
    with pytest.raises(ServiceUnavailable) as raised:
        Gateway(down=service).dashboard(request())
    assert problem_from(raised.value).status_code == 503
