"""Automatic member tags (用户画像): each rule and the lifecycle boundaries of the pure function,
then kept current from order events and the product read model (and catalog's product_updated)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.catalog import handlers as catalog_handlers
from services.catalog.models import Base as CatalogBase
from services.crm import handlers
from services.crm.members import tags
from services.crm.models import Account, Base, Community, Member
from services.infra.messaging import OutboxMessage

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=400)
PRODUCTS = {
    "milk": {"category": "乳品", "tags": ["有机"]},
    "yogurt": {"category": "乳品", "tags": []},
    "rice": {"category": "粮油", "tags": ["Organic"]},
    "apple": {"category": "水果", "tags": []},
}


def bought(days_ago, *product_ids, status="paid", quantity=1):
    return {
        "status": status,
        "placed_at": NOW - timedelta(days=days_ago),
        "lines": [{"product_id": pid, "quantity": quantity} for pid in product_ids],
    }


def test_three_paid_orders_of_a_category_in_30_days_make_a_frequent_buyer():
    purchases = [bought(1, "milk"), bought(10, "yogurt", "apple"), bought(29, "milk", "yogurt")]
    assert "高频乳品用户" in tags.auto_tags(purchases, PRODUCTS, NOW, LONG_AGO)
    assert "高频水果用户" not in tags.auto_tags(purchases, PRODUCTS, NOW, LONG_AGO)
    # The third order 31 days ago is outside the window; cancelled and unpaid ones never count.
    for third in (
        bought(31, "milk"),
        bought(2, "milk", status="cancelled"),
        bought(2, "milk", status="placed"),
        bought(2, "milk", status="refunded"),
    ):
        assert "高频乳品用户" not in tags.auto_tags(
            purchases[:2] + [third], PRODUCTS, NOW, LONG_AGO
        )
    long_name = {
        "p": {"category": "类" * 40, "tags": []}
    }  # a tag fits its column whatever the category
    [frequent] = [
        t
        for t in tags.auto_tags([bought(d, "p") for d in (1, 2, 3)], long_name, NOW)
        if t.startswith("高频")
    ]
    assert len(frequent) == 40
    # Two dairy lines in one order are one order.
    assert "高频乳品用户" not in tags.auto_tags(
        [bought(1, "milk", "yogurt"), bought(2, "milk")], PRODUCTS, NOW
    )


def test_most_units_organic_is_a_preference():
    organic = [
        bought(1, "milk", quantity=2),
        bought(50, "rice"),
        bought(60, "apple", quantity=2),
    ]  # 3 of 5
    assert "偏好有机" in tags.auto_tags(organic, PRODUCTS, NOW, LONG_AGO)
    half = [
        bought(1, "milk", quantity=2),
        bought(60, "apple", quantity=2),
    ]  # exactly half is not most
    assert "偏好有机" not in tags.auto_tags(half, PRODUCTS, NOW, LONG_AGO)
    assert "偏好有机" not in tags.auto_tags([bought(1, "unknown-product")], PRODUCTS, NOW, LONG_AGO)
    assert "偏好有机" not in tags.auto_tags(
        [bought(1, "milk", status="cancelled")], PRODUCTS, NOW, LONG_AGO
    )


@pytest.mark.parametrize(
    ("purchases", "joined_days_ago", "expected"),
    [
        ([], 0, "new"),
        ([bought(1, "apple")], 13.9, "new"),  # one order, joined less than 14 days ago
        ([bought(1, "apple"), bought(2, "apple")], 5, "active"),  # two orders: no longer new
        ([], 14, "dormant"),  # never ordered, joined 14 days ago: measured from joining
        ([bought(1, "apple")], 14, "active"),
        ([bought(29.9, "apple")], 400, "active"),
        ([bought(30, "apple")], 400, "dormant"),
        ([bought(90, "apple")], 400, "dormant"),
        ([bought(90.1, "apple")], 400, "lost"),
        ([bought(1, "apple", status="cancelled"), bought(200, "apple")], 400, "lost"),
        ([], 120, "lost"),
    ],
)
def test_lifecycle_boundaries(purchases, joined_days_ago, expected):
    joined = NOW - timedelta(days=joined_days_ago)
    assert tags.lifecycle(purchases, NOW, joined) == expected
    assert tags.LIFECYCLE_TAGS[expected] in tags.auto_tags(purchases, PRODUCTS, NOW, joined)
    assert (
        len(
            set(tags.auto_tags(purchases, PRODUCTS, NOW, joined))
            & set(tags.LIFECYCLE_TAGS.values())
        )
        == 1
    )


# --- kept current from events ----------------------------------------------------------------


@pytest.fixture
def session(make_session):
    session = make_session(Base, "crm")
    with session.begin():
        session.add(Community(id="t1", slug="t1-slug", name="团", leader_display_name="团长"))
        session.flush()
        session.add(
            Account(
                id="a1",
                tenant_id="t1",
                phone="13900000001",
                password_hash="x",
                role="member",
                display_name="李姐",
            )
        )
        session.flush()
        session.add(
            Member(
                id="m1",
                tenant_id="t1",
                account_id="a1",
                name="李姐",
                building="3",
                unit="501",
                created_at=NOW - timedelta(days=100),
            )
        )
    return session


def event(event_type, data, tenant_id="t1", occurred_at=None):
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "version": 1,
        "tenant_id": tenant_id,
        "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
        "correlation_id": None,
        "data": data,
    }


def order(session, order_id, product_id, paid=True, days_ago=0):
    lines = [{"product_id": product_id, "name": "x", "quantity": 1, "unit_price_cents": 100}]
    data = {
        "order_id": order_id,
        "member_id": "m1",
        "total_cents": 100,
        "lines": lines,
        "placed_at": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(),
    }
    if paid:  # crm hears of an order when it is paid
        with session.begin():
            handlers.record_order_paid(session, event("order_paid", data))


def auto(session):
    with session.begin():
        return session.get(Member, "m1").auto_tags


def test_order_events_and_products_keep_the_tags_current(session):
    with session.begin():
        handlers.record_product(
            session,
            event(
                "product_created",
                {"product_id": "p1", "name": "鲜奶", "category": "乳品", "tags": ["有机"]},
            ),
        )
        handlers.record_product(
            session,
            event(
                "product_created",
                {"product_id": "p1", "name": "鲜奶", "category": "乳品", "tags": []},
                tenant_id="t2",
            ),
        )
    order(session, "o1", "p1", days_ago=2)
    assert auto(session) == ["偏好有机", "活跃用户"]
    order(session, "o2", "p1", days_ago=1)
    order(session, "o3", "p1", paid=False)  # unpaid: not yet
    assert "高频乳品用户" not in auto(session)
    order(session, "o3", "p1")
    assert auto(session) == ["偏好有机", "活跃用户", "高频乳品用户"]
    with session.begin():
        handlers.record_order_cancelled(
            session,
            event(
                "order_cancelled",
                {"order_id": "o3", "member_id": "m1", "total_cents": 100, "lines": []},
            ),
        )
    assert "高频乳品用户" not in auto(session)
    # The product loses its organic tag (product_updated): the preference goes with it.
    with session.begin():
        handlers.record_product(
            session,
            event(
                "product_updated",
                {"product_id": "p1", "name": "鲜奶", "category": "乳品", "tags": []},
            ),
        )
        tags.refresh_member(session, "t1", "m1")
    assert auto(session) == ["活跃用户"]


def test_the_daily_refresh_moves_the_lifecycle_with_time(session):
    order(session, "o1", "p9", days_ago=0)
    assert auto(session) == ["活跃用户"]
    handlers.refresh_tags(session, datetime.now(UTC) + timedelta(days=45))
    assert auto(session) == ["沉睡用户"]
    handlers.refresh_tags(session, datetime.now(UTC) + timedelta(days=91))
    assert auto(session) == ["流失用户"]


def test_catalog_announces_a_product_change_that_tags_read(make_session, caller):
    session = make_session(CatalogBase, "catalog")
    leader = caller("leader")
    with session.begin():
        product = catalog_handlers.create_product(
            session, leader, {"name": "鲜奶", "price_cents": 100, "category": "乳品"}
        )
    with session.begin():
        catalog_handlers.update_product(
            session, leader, product["id"], {"description": "清晨现挤"}
        )  # crm reads none
        catalog_handlers.update_product(
            session, leader, product["id"], {"tags": ["有机"], "price_cents": 90}
        )
    with session.begin():
        outbox = [row.payload for row in session.query(OutboxMessage).order_by(OutboxMessage.id)]
    assert [row["event_type"] for row in outbox] == ["product_created", "product_updated"]
    assert outbox[1]["data"] == {
        "product_id": product["id"],
        "name": "鲜奶",
        "category": "乳品",
        "tags": ["有机"],
        "price_cents": 90,
        "in_stock": False,
        "on_sale": True,
    }
