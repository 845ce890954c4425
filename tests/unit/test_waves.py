"""Group-buy waves (团期) and reservations through a wave, over a real (SQLite) session."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import FakeGateway
from sqlalchemy import func, select

from services.catalog import handlers, waves
from services.catalog.models import Base, ChannelPurchase, Product, Wave, WaveItem
from services.infra.errors import Conflict, Forbidden, Invalid, NotFound
from services.infra.messaging import OutboxMessage

NOW = datetime.now(UTC)
CUTOFF = (NOW + timedelta(days=1)).isoformat()
PICKUP = (NOW + timedelta(days=2)).isoformat()


@pytest.fixture
def session(make_session):
    return make_session(Base, "catalog")


@pytest.fixture
def leader(caller):
    return caller("leader")


def product(session, leader, **fields):
    payload = {"name": "Apples", "price_cents": 1250, "stock": 100, **fields}
    with session.begin():
        return handlers.create_product(session, leader, payload)["id"]


def wave_payload(*items, **fields):
    return {
        "title": "Weekend fruit",
        "cutoff_at": CUTOFF,
        "pickup_at": PICKUP,
        "pickup_point": "Building 3 lobby",
        "items": list(items),
        **fields,
    }


def create_wave(session, leader, *items, **fields):
    with session.begin():
        return waves.create_wave(session, leader, wave_payload(*items, **fields))


def count(session, model):
    with session.begin():
        return session.scalar(select(func.count()).select_from(model))


def reserve(session, member, key, wave_id, *items):
    with session.begin():
        return handlers.reserve_stock(
            session,
            member,
            {
                "reservation_key": key,
                "channel": {"type": "wave", "id": wave_id},
                "items": [{"product_id": p, "quantity": q} for p, q in items],
            },
        )


def item_of(session, wave_id, product_id):
    with session.begin():
        return session.scalars(
            select(WaveItem)
            .where(WaveItem.wave_id == wave_id, WaveItem.product_id == product_id)
            .execution_options(populate_existing=True)
        ).one()


def stock_of(session, product_id):
    with session.begin():
        return session.get(Product, product_id, populate_existing=True).stock


def purchased(session, member_id, product_id):
    with session.begin():
        return session.scalar(
            select(ChannelPurchase.quantity).where(
                ChannelPurchase.member_id == member_id, ChannelPurchase.product_id == product_id
            )
        )


def outbox_types(session):
    with session.begin():
        return [
            row.event_type
            for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def test_create_and_get_with_remaining(session, leader, caller):
    apples = product(session, leader)
    pears = product(session, leader, name="Pears", price_cents=800)
    created = create_wave(
        session,
        leader,
        {"product_id": apples, "price_cents": 990, "quota": 10, "per_member_limit": 2},
        {"product_id": pears, "price_cents": 700},
        packing_note="Pears wrapped in paper",
    )
    assert created["status"] == "open" and created["closed_at"] is None
    assert created["cutoff_at"] == datetime.fromisoformat(CUTOFF).isoformat()
    assert created["packing_note"] == "Pears wrapped in paper"

    reserve(session, caller("member"), "order-1", created["id"], (apples, 2))
    with session.begin():
        seen = waves.get_wave(session, caller("member"), created["id"])
    assert seen["items"] == [
        {
            "product_id": apples,
            "name": "Apples",
            "unit": "件",
            "price_cents": 990,
            "quota": 10,
            "sold": 2,
            "remaining": 8,
            "per_member_limit": 2,
        },
        {
            "product_id": pears,
            "name": "Pears",
            "unit": "件",
            "price_cents": 700,
            "quota": None,
            "sold": 0,
            "remaining": None,
            "per_member_limit": None,
        },
    ]
    with pytest.raises(NotFound), session.begin():
        waves.get_wave(session, caller("leader", tenant_id="tenant-b"), created["id"])


def test_list_filters_by_status_and_pages(session, leader, caller):
    apples = product(session, leader)
    ids = [
        create_wave(session, leader, {"product_id": apples, "price_cents": 100}, title=f"Wave {i}")[
            "id"
        ]
        for i in range(3)
    ]
    with session.begin():
        waves.close_wave(session, leader, ids[0])
    member = caller("member")
    with session.begin():
        first = waves.list_waves(session, member, {"limit": 1, "status": "open"})
    with session.begin():
        second = waves.list_waves(
            session, member, {"limit": 1, "status": "open", "cursor": first["next_cursor"]}
        )
    assert [w["id"] for w in first["items"] + second["items"]] == [ids[2], ids[1]]
    assert second["next_cursor"] is None
    assert first["items"][0]["items"][0]["price_cents"] == 100
    with session.begin():
        closed = waves.list_waves(session, member, {"status": "closed"})
    assert [w["id"] for w in closed["items"]] == [ids[0]]
    with session.begin():
        assert waves.list_waves(session, caller("leader", tenant_id="tenant-b"), {})["items"] == []
    with pytest.raises(Invalid), session.begin():
        waves.list_waves(session, member, {"status": "done"})


ITEM = {"price_cents": 990}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 61}, "title"),
        ({"pickup_point": "x" * 101}, "pickup_point"),
        ({"cutoff_at": "2026-12-01T10:00:00"}, "cutoff_at"),  # naive
        ({"cutoff_at": "tomorrow"}, "cutoff_at"),
        ({"cutoff_at": (NOW - timedelta(minutes=1)).isoformat()}, "cutoff_at"),
        ({"pickup_at": CUTOFF}, "pickup_at"),
        ({"pickup_at": (NOW + timedelta(hours=1)).isoformat()}, "pickup_at"),
        ({"items": []}, "items"),
        ({"items": [{**ITEM, "product_id": "P"}] * 101}, "items"),
        ({"items": [{**ITEM, "product_id": "P", "price_cents": 0}]}, "items"),
        ({"items": [{**ITEM, "product_id": "P", "quota": 0}]}, "items"),
        ({"items": [{**ITEM, "product_id": "P", "per_member_limit": 0}]}, "items"),
        ({"items": [{**ITEM, "product_id": "P", "quota": True}]}, "items"),
        ({"items": [{**ITEM, "product_id": "P"}, {**ITEM, "product_id": "P"}]}, "items"),
        ({"items": [{**ITEM, "product_id": "unknown"}]}, "items"),
        ({"status": "closed"}, "status"),
    ],
)
def test_invalid_wave_input_creates_nothing(session, leader, change, field):
    apples = product(session, leader)
    payload = wave_payload({**ITEM, "product_id": apples}, **change)
    for item in payload["items"]:
        if item.get("product_id") == "P":
            item["product_id"] = apples
    with pytest.raises(Invalid) as raised, session.begin():
        waves.create_wave(session, leader, payload)
    assert raised.value.status == 422
    assert field in raised.value.extra["errors"]
    assert count(session, Wave) == 0 and count(session, WaveItem) == 0


def test_another_communitys_product_is_refused(session, leader, caller):
    foreign = product(session, caller("leader", tenant_id="tenant-b"))
    ours = product(session, leader)
    with pytest.raises(Invalid) as raised, session.begin():
        waves.create_wave(
            session,
            leader,
            wave_payload({**ITEM, "product_id": ours}, {**ITEM, "product_id": foreign}),
        )
    assert raised.value.extra["errors"] == {
        "items": {"1": {"product_id": ["No such product in this community."]}}
    }
    assert count(session, Wave) == 0 and count(session, WaveItem) == 0


def test_only_staff_create_and_close(session, leader, caller):
    apples = product(session, leader)
    with pytest.raises(Forbidden), session.begin():
        waves.create_wave(session, caller("member"), wave_payload({**ITEM, "product_id": apples}))
    wave = create_wave(session, leader, {**ITEM, "product_id": apples})
    with pytest.raises(Forbidden), session.begin():
        waves.close_wave(session, caller("member"), wave["id"])


def test_reserve_through_a_wave_uses_the_wave_price(session, leader, caller):
    apples = product(session, leader, price_cents=1250, stock=50)
    wave = create_wave(session, leader, {"product_id": apples, "price_cents": 990, "quota": 10})
    result = reserve(session, caller("member"), "order-1", wave["id"], (apples, 3))
    assert result["lines"] == [
        {
            "product_id": apples,
            "name": "Apples",
            "unit": "件",
            "unit_price_cents": 990,
            "quantity": 3,
        }
    ]
    assert stock_of(session, apples) == 47
    assert item_of(session, wave["id"], apples).sold == 3
    # A retry with the same key is answered, not taken twice.
    assert reserve(session, caller("member"), "order-1", wave["id"], (apples, 3)) == result
    assert item_of(session, wave["id"], apples).sold == 3


def test_shop_channel_keeps_the_product_price(session, leader, caller):
    apples = product(session, leader, price_cents=1250)
    create_wave(session, leader, {"product_id": apples, "price_cents": 990})
    with session.begin():
        result = handlers.reserve_stock(
            session,
            caller("member"),
            {
                "reservation_key": "order-1",
                "channel": {"type": "shop"},
                "items": [{"product_id": apples, "quantity": 1}],
            },
        )
    assert result["lines"][0]["unit_price_cents"] == 1250


def test_quota_exhausted_takes_nothing(session, leader, caller):
    apples = product(session, leader, stock=50)
    pears = product(session, leader, name="Pears", stock=50)
    wave = create_wave(
        session,
        leader,
        {"product_id": pears, "price_cents": 500},
        {"product_id": apples, "price_cents": 990, "quota": 4},
    )
    reserve(session, caller("member", member_id="m1"), "order-1", wave["id"], (apples, 3))
    with pytest.raises(Conflict) as raised:
        reserve(
            session,
            caller("member", member_id="m2"),
            "order-2",
            wave["id"],
            (pears, 2),
            (apples, 2),
        )
    extra = raised.value.extra
    assert extra["reason"] == "quota_exhausted" and extra["product_id"] == apples
    assert extra["available"] == 1 and type(extra["available"]) is int
    assert item_of(session, wave["id"], apples).sold == 3
    assert item_of(session, wave["id"], pears).sold == 0
    assert stock_of(session, apples) == 47 and stock_of(session, pears) == 50
    assert purchased(session, "m2", pears) is None


def test_per_member_limit_across_two_orders(session, leader, caller):
    apples = product(session, leader, stock=50)
    wave = create_wave(
        session, leader, {"product_id": apples, "price_cents": 990, "per_member_limit": 3}
    )
    alice = caller("member", member_id="alice")
    reserve(session, alice, "order-1", wave["id"], (apples, 2))
    with pytest.raises(Conflict) as raised:
        reserve(session, alice, "order-2", wave["id"], (apples, 2))
    extra = raised.value.extra
    assert (extra["reason"], extra["limit"], extra["already"]) == ("limit_reached", 3, 2)
    assert item_of(session, wave["id"], apples).sold == 2 and stock_of(session, apples) == 48
    reserve(session, alice, "order-3", wave["id"], (apples, 1))  # up to the limit is fine
    reserve(session, caller("member", member_id="bob"), "order-4", wave["id"], (apples, 3))
    assert purchased(session, "alice", apples) == 3 and purchased(session, "bob", apples) == 3


def test_limit_is_checked_against_the_whole_order(session, leader, caller):
    apples = product(session, leader, stock=50)
    wave = create_wave(
        session, leader, {"product_id": apples, "price_cents": 990, "per_member_limit": 3}
    )
    with pytest.raises(Conflict) as raised:
        reserve(session, caller("member"), "order-1", wave["id"], (apples, 2), (apples, 2))
    assert raised.value.extra["already"] == 0
    assert purchased(session, "member-1", apples) is None and stock_of(session, apples) == 50


def test_staff_cannot_take_a_limited_item_without_a_member(session, leader):
    apples = product(session, leader)
    wave = create_wave(
        session, leader, {"product_id": apples, "price_cents": 990, "per_member_limit": 1}
    )
    with pytest.raises(Forbidden):
        reserve(session, leader, "order-1", wave["id"], (apples, 1))


def test_after_the_cutoff_or_closed_the_wave_refuses(session, leader, caller):
    apples = product(session, leader)
    wave = create_wave(session, leader, {"product_id": apples, "price_cents": 990})
    with session.begin():
        session.get(Wave, wave["id"]).cutoff_at = NOW - timedelta(seconds=1)
    with pytest.raises(Conflict) as raised:
        reserve(session, caller("member"), "order-1", wave["id"], (apples, 1))
    assert raised.value.extra["reason"] == "wave_closed"

    other = create_wave(session, leader, {"product_id": apples, "price_cents": 990})
    with session.begin():
        waves.close_wave(session, leader, other["id"])
    with pytest.raises(Conflict) as raised:
        reserve(session, caller("member"), "order-2", other["id"], (apples, 1))
    assert raised.value.extra["reason"] == "wave_closed"
    assert stock_of(session, apples) == 100


def test_unknown_or_foreign_wave_is_not_found(session, leader, caller):
    apples = product(session, leader)
    wave = create_wave(session, leader, {"product_id": apples, "price_cents": 990})
    with pytest.raises(NotFound):
        reserve(session, caller("member"), "order-1", "no-such-wave", (apples, 1))
    with pytest.raises(NotFound):
        reserve(session, caller("member", tenant_id="tenant-b"), "order-1", wave["id"], (apples, 1))
    with pytest.raises(Invalid):  # a wave channel names its wave
        with session.begin():
            handlers.reserve_stock(
                session,
                caller("member"),
                {
                    "reservation_key": "order-1",
                    "channel": {"type": "wave"},
                    "items": [{"product_id": apples, "quantity": 1}],
                },
            )


def test_product_not_in_the_wave(session, leader, caller):
    apples = product(session, leader)
    pears = product(session, leader, name="Pears")
    wave = create_wave(session, leader, {"product_id": apples, "price_cents": 990, "quota": 5})
    with pytest.raises(Conflict) as raised:
        reserve(session, caller("member"), "order-1", wave["id"], (apples, 1), (pears, 1))
    assert (
        raised.value.extra["reason"] == "not_in_channel"
        and raised.value.extra["product_id"] == pears
    )
    assert item_of(session, wave["id"], apples).sold == 0 and stock_of(session, apples) == 100


def test_release_gives_quota_and_limit_back(session, leader, caller):
    apples = product(session, leader, stock=50)
    wave = create_wave(
        session,
        leader,
        {"product_id": apples, "price_cents": 990, "quota": 3, "per_member_limit": 3},
    )
    alice = caller("member", member_id="alice")
    reserve(session, alice, "order-1", wave["id"], (apples, 3))
    with pytest.raises(Conflict):
        reserve(session, alice, "order-2", wave["id"], (apples, 1))
    with session.begin():
        assert handlers.release_stock(session, alice, "order-1")["released"] is True
    assert item_of(session, wave["id"], apples).sold == 0
    assert purchased(session, "alice", apples) == 0 and stock_of(session, apples) == 50
    with session.begin():  # a second release gives nothing back twice
        assert handlers.release_stock(session, alice, "order-1")["released"] is False
    assert item_of(session, wave["id"], apples).sold == 0
    reserve(session, alice, "order-3", wave["id"], (apples, 3))
    assert (
        item_of(session, wave["id"], apples).sold == 3 and purchased(session, "alice", apples) == 3
    )


def test_close_wave_is_idempotent_and_emits_once(session, leader):
    apples = product(session, leader)
    wave = create_wave(session, leader, {"product_id": apples, "price_cents": 990})
    with session.begin():
        closed = waves.close_wave(session, leader, wave["id"])
    assert closed["status"] == "closed" and closed["closed_at"]
    with session.begin():
        again = waves.close_wave(session, leader, wave["id"])
    assert again == closed
    assert outbox_types(session).count("wave_closed") == 1
    with session.begin():
        row = session.scalars(
            select(OutboxMessage).where(OutboxMessage.event_type == "wave_closed")
        ).one()
    assert row.payload["tenant_id"] == "tenant-a"
    assert row.payload["data"] == {
        "wave_id": wave["id"],
        "title": "Weekend fruit",
        "pickup_at": datetime.fromisoformat(PICKUP).isoformat(),
        "pickup_point": "Building 3 lobby",
        "closed_at": closed["closed_at"],
        "packing_note": "",
        "units": {apples: "件"},
    }
    with pytest.raises(NotFound), session.begin():
        waves.close_wave(session, leader, "no-such-wave")


def test_close_due_waves_closes_only_due_ones(session, leader, caller):
    apples = product(session, leader)
    due = create_wave(session, leader, {"product_id": apples, "price_cents": 990})["id"]
    later = create_wave(
        session,
        leader,
        {"product_id": apples, "price_cents": 990},
        cutoff_at=(NOW + timedelta(hours=30)).isoformat(),
        pickup_at=(NOW + timedelta(hours=40)).isoformat(),
    )["id"]
    other_product = product(session, caller("leader", tenant_id="tenant-b"))
    foreign_due = create_wave(
        session,
        caller("leader", tenant_id="tenant-b"),
        {"product_id": other_product, "price_cents": 990},
    )["id"]
    already = create_wave(session, leader, {"product_id": apples, "price_cents": 990})["id"]
    with session.begin():
        waves.close_wave(session, leader, already)

    at = NOW + timedelta(days=1, minutes=1)  # past the default cut-off, before the later one
    with session.begin():
        closed = waves.close_due_waves(session, at)
    assert sorted(closed) == sorted([due, foreign_due])
    with session.begin():
        statuses = {
            w.id: w.status
            for w in session.scalars(select(Wave).execution_options(populate_existing=True))
        }
    assert statuses == {due: "closed", later: "open", foreign_due: "closed", already: "closed"}
    assert outbox_types(session).count("wave_closed") == 3
    with session.begin():
        assert waves.close_due_waves(session, at) == []
    assert outbox_types(session).count("wave_closed") == 3


def test_gateway_sends_iso_datetimes_and_answers_201():
    from werkzeug.test import EnvironBuilder

    from gateway.routes.waves import WaveRoutes

    body = wave_payload({"product_id": "p1", "price_cents": 990, "quota": None})
    gateway = FakeGateway(lambda service, method, *args: {"id": "w1"})
    request = EnvironBuilder(method="POST", json=body).get_request()
    assert WaveRoutes.create_wave(gateway, request) == (201, {"id": "w1"})
    ((service, method, payload),) = gateway.calls
    assert (service, method) == ("catalog", "create_wave")
    assert payload["cutoff_at"] == datetime.fromisoformat(CUTOFF).isoformat()
    assert payload["items"] == [{"product_id": "p1", "price_cents": 990, "quota": None}]

    naive = EnvironBuilder(
        method="POST", json={**body, "pickup_at": "2026-12-01T10:00:00"}
    ).get_request()
    with pytest.raises(Invalid) as raised:
        WaveRoutes.create_wave(gateway, naive)
    assert "pickup_at" in raised.value.extra["errors"]


def test_openapi_documents_waves():
    import gateway.service  # noqa: F401  (its routes register on import)
    from gateway.openapi import build_spec

    paths = build_spec()["paths"]
    assert "201" in paths["/api/v1/waves"]["post"]["responses"]
    assert "get" in paths["/api/v1/waves"] and "get" in paths["/api/v1/waves/{wave_id}"]
    assert "200" in paths["/api/v1/waves/{wave_id}/close"]["post"]["responses"]
