"""Fulfilment's documents for a wave: the supplier's purchase list and the packing slips."""

import re

import pytest
from conftest import OTHER_TENANT, TENANT
from sqlalchemy import select
from test_fulfillment import PICKUP_AT, apply, envelope, move, order_event, placed

from services.fulfillment import documents, handlers, storeroom
from services.fulfillment.models import Base, FulfillmentOrder
from services.infra.db import utcnow
from services.infra.errors import Forbidden, Invalid, NotFound

NOTE = "感谢支持!\n桃子冷藏两小时更甜 <3"


@pytest.fixture
def session(make_session):
    return make_session(Base, "fulfillment")


@pytest.fixture
def leader(caller):
    return caller("leader")


def close(session, wave_id="wave-1", tenant_id=TENANT, **extra):
    apply(
        session,
        handlers.record_wave_closed,
        envelope(
            "wave_closed",
            {
                "wave_id": wave_id,
                "title": "本周水蜜桃团",
                "pickup_at": PICKUP_AT.isoformat(),
                "pickup_point": "3栋楼下快递柜旁",
                "closed_at": utcnow().isoformat(),
                **extra,
            },
            tenant_id,
        ),
    )


@pytest.fixture
def wave(session):
    apply(
        session,
        handlers.record_community_created,
        envelope(
            "community_created", {"community_id": TENANT, "slug": "xiaoya", "name": "小雅的厨房"}
        ),
    )
    for member_id, name, building, unit in [
        ("m1", "张姐", "12栋", "1201"),
        ("m2", "<script>alert(1)</script>", "3栋", "502"),
        ("m3", "=cmd|' /C calc'!A0", "3栋", "101"),
    ]:
        apply(
            session,
            handlers.record_member_joined,
            envelope(
                "member_joined",
                {"member_id": member_id, "name": name, "building": building, "unit": unit},
            ),
        )
    close(session, packing_note=NOTE, units={"peach": "盒", "milk": "瓶"})
    placed(session, "o1", "m1", [("peach", "水蜜桃", 2), ("milk", "牛奶", 1)])
    placed(session, "o2", "m1", [("peach", "水蜜桃", 1)])
    placed(session, "o3", "m2", [("milk", "牛奶", 3), ("soap", "=SUM(A1)", 1)])
    placed(session, "unpaid", "m3", [("peach", "水蜜桃", 5)], paid=False)
    placed(session, "cancelled", "m3", [("peach", "水蜜桃", 7)])
    apply(
        session, handlers.record_order_cancelled, order_event("order_cancelled", "cancelled", "m3")
    )
    placed(session, "refunded", "m3", [("milk", "牛奶", 9)])
    refund = order_event("order_refunded", "refunded", "m3")
    refund["data"]["whole"] = True
    apply(session, handlers.record_order_refunded, refund)
    placed(session, "partly", "m3", [("peach", "水蜜桃", 4)])
    partial = order_event("order_refunded", "partly", "m3")
    partial["data"]["whole"] = False
    apply(session, handlers.record_order_refunded, partial)
    placed(session, "other-wave", "m3", [("egg", "鸡蛋", 1)], wave_id="wave-2")


def purchase(session, caller, wave_id="wave-1", **query):
    with session.begin():
        return documents.purchase_list(session, caller, wave_id, query)


def slips(session, caller, wave_id="wave-1", locale="zh-CN", **query):
    with session.begin():
        return documents.packing_slips(session, caller, wave_id, query, locale)


# --- purchase list ---------------------------------------------------------------------------


def test_the_purchase_list_sums_the_paid_orders_per_product_with_unit_and_date(
    session, leader, wave
):
    listing = purchase(session, leader)
    assert listing["orders"] == 4  # o1, o2, o3 and the partly refunded one
    assert listing["needed_by"] == PICKUP_AT.isoformat() and listing["title"] == "本周水蜜桃团"
    assert {
        p["product_id"]: (p["quantity"], p["orders"], p["unit"]) for p in listing["products"]
    } == {"peach": (7, 3, "盒"), "milk": (4, 2, "瓶"), "soap": (1, 1, "")}


def test_the_purchase_list_csv_is_excel_ready_and_defuses_formulas(session, leader, wave):
    sheet = purchase(session, leader, format="csv")
    assert sheet["filename"] == "purchase-list-wave-1.csv"
    rows = sheet["content"].split("\r\n")
    assert rows[0] == "商品编号,商品,单位,数量,现有库存,需采购,订单数,需到货时间"
    # 09:00 UTC is 17:00 on the community's (Shanghai) clock, the one the supplier reads.
    assert "peach,水蜜桃,盒,7,0,7,3,2026-11-28 17:00" in rows
    assert "soap,'=SUM(A1),,1,0,1,1,2026-11-28 17:00" in rows


def test_the_purchase_list_of_a_wave_not_yet_closed_has_no_date(session, leader, wave):
    placed(session, "open-1", "m1", [("egg", "鸡蛋", 2)], wave_id="wave-open")
    listing = purchase(session, leader, wave_id="wave-open")
    assert listing["needed_by"] is None and listing["products"][0]["unit"] == ""
    assert (
        purchase(session, leader, wave_id="wave-open", format="csv")["content"].split("\r\n")[1]
        == "egg,鸡蛋,,2,0,2,1,"
    )


def test_what_is_on_hand_is_not_bought_again(session, leader, caller, wave):
    with session.begin():
        storeroom.set_on_hand(session, leader, "peach", {"quantity": 5})
        storeroom.set_on_hand(session, leader, "milk", {"quantity": 10})
        storeroom.set_on_hand(
            session, caller("leader", tenant_id=OTHER_TENANT), "peach", {"quantity": 99}
        )
    products = {
        p["product_id"]: (p["quantity"], p["on_hand"], p["to_buy"])
        for p in purchase(session, leader)["products"]
    }
    assert products == {"peach": (7, 5, 2), "milk": (4, 10, 0), "soap": (1, 0, 1)}
    with session.begin():
        storeroom.set_on_hand(
            session, leader, "milk", {"quantity": 0}
        )  # a recount replaces the last
        listed = storeroom.list_on_hand(session, leader)
    assert [(row["product_id"], row["quantity"]) for row in listed["items"]] == [("peach", 5)]


@pytest.mark.parametrize(
    "body",
    [{"quantity": -1}, {"quantity": 1_000_001}, {"quantity": "3"}, {}, {"quantity": 1, "x": 1}],
)
def test_a_bad_count_changes_nothing(session, leader, body):
    with pytest.raises(Invalid), session.begin():
        storeroom.set_on_hand(session, leader, "peach", body)
    with session.begin():
        assert storeroom.list_on_hand(session, leader)["items"] == []


def test_only_staff_count_the_storeroom(session, caller):
    with pytest.raises(Forbidden), session.begin():
        storeroom.set_on_hand(session, caller("member", member_id="m1"), "peach", {"quantity": 1})


def test_the_purchase_list_is_for_the_communitys_staff(session, leader, caller, wave):
    with pytest.raises(NotFound):
        purchase(session, caller("leader", tenant_id=OTHER_TENANT))
    with pytest.raises(NotFound):
        purchase(session, leader, wave_id="x" * 40)
    with pytest.raises(Forbidden):
        purchase(session, caller("member", member_id="m1"))
    with pytest.raises(Invalid):
        purchase(session, leader, format="xlsx")


# --- packing slips ---------------------------------------------------------------------------


def sections(html):
    return re.findall(r'<section class="slip">.*?</section>', html, re.S)


def test_one_slip_per_paid_order_stacked_by_door_with_the_packing_note(session, leader, wave):
    answer = slips(session, leader)
    html = answer["html"]
    assert answer["slips"] == 4 and answer["filename"] == "packing-slips-wave-1-a4.html"
    found = sections(html)
    assert len(found) == 4
    # 3栋101, 3栋502, then 12栋 twice (buildings compare as numbers)
    assert ["partly" in found[0], "o3" in found[1], "o1" in found[2], "o2" in found[3]] == [
        True
    ] * 4
    first = found[2]
    assert "小雅的厨房 · 本周水蜜桃团" in first and "张姐" in first and "12栋 1201" in first
    assert "水蜜桃" in first and ">2盒<" in first and ">1瓶<" in first
    assert "3栋楼下快递柜旁" in first and "11月28日 17:00" in first
    assert "感谢支持!\n桃子冷藏两小时更甜 &lt;3" in first
    assert "分拣单" in html and "取货点" in html and "团员" in html
    assert "到货后生成取货码" in first and "<svg" not in html  # no code before the order is ready


def test_every_interpolated_value_is_escaped(session, leader, wave):
    html = slips(session, leader)["html"]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<3" not in html


def test_a_ready_order_carries_its_pickup_code_as_text_and_qr(session, leader, wave):
    for status in ("packed", "delivering", "ready_for_pickup"):
        move(session, leader, status)
    with session.begin():
        codes = {
            o.order_id: o.open_pickup_code
            for o in session.scalars(
                select(FulfillmentOrder).where(FulfillmentOrder.open_pickup_code.is_not(None))
            )
        }
    assert len(codes) == 4
    html = slips(session, leader)["html"]
    for section in sections(html):
        order_id = re.search(r"订单号 (\S+)</footer>", section).group(1)
        assert f'<div class="digits">{codes[order_id]}</div>' in section
        assert section.count("<svg") == 1 and 'xmlns="http://www.w3.org/2000/svg"' in section
    assert "到货后生成取货码" not in html
    qr = documents.qr_svg(codes["o1"])
    assert qr.startswith("<svg") and "<path" in qr and qr in html


def test_a4_puts_six_slips_on_a_page_and_80mm_one_per_receipt(session, leader, wave):
    for n in range(9):
        placed(session, f"extra-{n}", "m1", [("peach", "水蜜桃", 1)])
    a4 = slips(session, leader)["html"]
    assert "size: A4" in a4 and "page-break-inside: avoid" in a4 and "@media print" in a4
    assert a4.count('<div class="page">') == 3  # 13 slips: 6 + 6 + 1
    assert "80mm" not in a4
    receipt = slips(session, leader, paper="80mm")
    assert receipt["filename"] == "packing-slips-wave-1-80mm.html"
    html = receipt["html"]
    assert (
        "size: 80mm auto" in html and "width: 80mm" in html and "page-break-after: always" in html
    )
    assert '<div class="page">' not in html and len(sections(html)) == 13


def test_slips_read_in_english_on_request_and_check_their_query(session, leader, caller, wave):
    english = slips(session, leader, locale="en")["html"]
    assert '<html lang="en">' in english and "Pickup point" in english and "28/11 17:00" in english
    assert '<html lang="zh-CN">' in slips(session, leader, locale="fr")["html"]
    with pytest.raises(Invalid):
        slips(session, leader, paper="a3")
    with pytest.raises(Forbidden):
        slips(session, caller("member", member_id="m1"))
    with pytest.raises(NotFound):
        slips(session, caller("leader", tenant_id=OTHER_TENANT))


def test_slips_of_a_community_fulfilment_has_not_heard_of_still_print(session, leader):
    close(session)
    placed(session, "o1", "stranger", [("peach", "水蜜桃", 1)])
    html = slips(session, leader)["html"]
    [section] = sections(html)
    assert "本周水蜜桃团" in section and "3栋楼下快递柜旁" in section
    assert "感谢" not in section  # no packing note, no note block
