"""Picking lists (拣货单) of a wave: by product (how much of each to pick) and by member
(grouped by building and unit, for packing bags per door), as data and as CSV text."""

import csv
import io
import re
from collections import defaultdict

from sqlalchemy import select

from services.fulfillment.handlers import paid_orders_of_wave
from services.fulfillment.models import FulfillmentMember, FulfillmentOrder, FulfillmentWave
from services.fulfillment.schemas import PICKING_LIST_QUERY
from services.infra.errors import NotFound
from services.infra.schemas import load

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def natural(text):
    """ "3栋" before "12栋": digits compare as numbers."""
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text)
        if part
    ]


def picking_list(session, caller, wave_id, query):
    """The wave's picking list; only paid, not cancelled orders count."""
    caller.require_staff()
    params = load(PICKING_LIST_QUERY, query)
    tenant_id = caller.tenant_id
    wave_id, wave = find_wave(session, tenant_id, wave_id)
    orders = paid_orders_of_wave(session, tenant_id, wave_id)
    listing = {
        "wave_id": wave_id,
        "group_by": params["group_by"],
        "wave": {
            "title": wave.title,
            "pickup_at": wave.pickup_at.isoformat(),
            "pickup_point": wave.pickup_point,
        }
        if wave
        else None,
        "orders": len(orders),
        "total_quantity": sum(order.total_quantity for order in orders),
    }
    if params["group_by"] == "product":
        listing["products"] = by_product(orders)
    else:
        listing["buildings"] = by_member(session, tenant_id, orders)
    if params["format"] == "csv":
        return {
            "filename": f"picking-list-{wave_id}-{params['group_by']}.csv",
            "content": to_csv(listing),
        }
    return listing


def find_wave(session, tenant_id, wave_id):
    """(wave_id, the closed wave or None) of a wave the community knows: closed, or with
    orders in it (still open: fulfilment hears of a wave when it closes). Else 404."""
    wave_id = wave_id if isinstance(wave_id, str) and len(wave_id) <= 32 else None
    wave = session.get(FulfillmentWave, wave_id) if wave_id else None
    if wave is not None and wave.tenant_id != tenant_id:
        wave = None
    if wave is None and not (wave_id and _wave_has_orders(session, tenant_id, wave_id)):
        raise NotFound("No such wave.", {"wave_id": wave_id})
    return wave_id, wave


def _wave_has_orders(session, tenant_id, wave_id):
    return (
        session.scalar(
            select(FulfillmentOrder.order_id)
            .where(
                FulfillmentOrder.tenant_id == tenant_id,
                FulfillmentOrder.channel_type == "wave",
                FulfillmentOrder.channel_id == wave_id,
            )
            .limit(1)
        )
        is not None
    )


def by_product(orders):
    totals, order_ids = {}, defaultdict(set)
    for order in orders:
        for item in order.items:
            entry = totals.setdefault(
                item["product_id"],
                {"product_id": item["product_id"], "name": item["name"], "quantity": 0},
            )
            entry["quantity"] += item["quantity"]
            order_ids[item["product_id"]].add(order.order_id)
    listed = [
        {**entry, "orders": len(order_ids[product_id])} for product_id, entry in totals.items()
    ]
    return sorted(listed, key=lambda entry: (natural(entry["name"]), entry["product_id"]))


def by_member(session, tenant_id, orders):
    member_ids = {order.member_id for order in orders}
    members = (
        {
            member.member_id: member
            for member in session.scalars(
                select(FulfillmentMember).where(
                    FulfillmentMember.tenant_id == tenant_id,
                    FulfillmentMember.member_id.in_(member_ids),
                )
            )
        }
        if member_ids
        else {}
    )
    grouped = defaultdict(lambda: defaultdict(dict))  # building -> unit -> member_id -> entry
    for order in orders:
        member = members.get(order.member_id)
        building, unit = (member.building, member.unit) if member else ("", "")
        entry = grouped[building][unit].setdefault(
            order.member_id,
            {
                "member_id": order.member_id,
                "name": member.name if member else "",
                "orders": [],
                "items": {},
            },
        )
        entry["orders"].append(order.order_id)
        for item in order.items:
            line = entry["items"].setdefault(item["product_id"], {**item, "quantity": 0})
            line["quantity"] += item["quantity"]

    def last_if_blank(text):
        return (text == "", natural(text))

    return [
        {
            "building": building,
            "units": [
                {
                    "unit": unit,
                    "members": [
                        {
                            **entry,
                            "items": sorted(
                                entry["items"].values(),
                                key=lambda i: (natural(i["name"]), i["product_id"]),
                            ),
                        }
                        for entry in sorted(
                            grouped[building][unit].values(),
                            key=lambda e: (natural(e["name"]), e["member_id"]),
                        )
                    ],
                }
                for unit in sorted(grouped[building], key=last_if_blank)
            ],
        }
        for building in sorted(grouped, key=last_if_blank)
    ]


def _cell(value):
    """Text Excel shows as text: a leading = + - @ would make it a formula (CSV injection)."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(header, rows):
    """CSV text Excel opens as the leader expects: every text cell guarded against formulas
    (numbers stay numbers). The caller (the gateway) prepends the byte-order mark."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) if isinstance(value, str) else value for value in row])
    return out.getvalue()


def to_csv(listing):
    if listing["group_by"] == "product":
        return csv_text(
            ["商品编号", "商品", "数量", "订单数"],
            (
                [entry["product_id"], entry["name"], entry["quantity"], entry["orders"]]
                for entry in listing["products"]
            ),
        )
    return csv_text(
        ["楼栋", "单元", "团员", "商品编号", "商品", "数量"],
        (
            [
                building["building"],
                unit["unit"],
                member["name"],
                item["product_id"],
                item["name"],
                item["quantity"],
            ]
            for building in listing["buildings"]
            for unit in building["units"]
            for member in unit["members"]
            for item in member["items"]
        ),
    )
