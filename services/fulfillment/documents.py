"""What fulfilment prints and sends out for a wave: the supplier's purchase list (采购单) and the
packing slips (分拣单/小票) that go into each member's bag."""

from html import escape

import qrcode
from qrcode.image.svg import SvgPathImage
from sqlalchemy import select

from services.fulfillment import messages, storeroom
from services.fulfillment.handlers import paid_orders_of_wave
from services.fulfillment.models import FulfillmentCommunity, FulfillmentMember
from services.fulfillment.picking import by_product, csv_text, find_wave, natural
from services.fulfillment.schemas import PACKING_SLIPS_QUERY, PURCHASE_LIST_QUERY
from services.infra.periods import DEFAULT_TIMEZONE, zone
from services.infra.schemas import load

SLIPS_PER_A4 = 6  # two columns, three rows


def _community(session, tenant_id):
    return session.get(FulfillmentCommunity, tenant_id)


def _timezone(community):
    return community.timezone if community is not None else DEFAULT_TIMEZONE


# --- purchase list ---------------------------------------------------------------------------


def purchase_list(session, caller, wave_id, query):
    """What the supplier must deliver for a wave: per product, the total of the paid orders
    (cancelled and wholly refunded ones are off), less what the leader already has on hand
    (``to_buy``), in the product's unit, by the pickup time."""
    caller.require_staff()
    params = load(PURCHASE_LIST_QUERY, query)
    tenant_id = caller.tenant_id
    wave_id, wave = find_wave(session, tenant_id, wave_id)
    orders = paid_orders_of_wave(session, tenant_id, wave_id)
    units = wave.units if wave is not None else {}
    needed_by = wave.pickup_at if wave is not None else None
    demand = by_product(orders)
    stored = storeroom.on_hand(session, tenant_id, [entry["product_id"] for entry in demand])
    listing = {
        "wave_id": wave_id,
        "title": wave.title if wave is not None else "",
        "needed_by": needed_by.isoformat() if needed_by else None,
        "orders": len(orders),
        "products": [
            {
                **entry,
                "unit": units.get(entry["product_id"], ""),
                "on_hand": stored[entry["product_id"]],
                "to_buy": max(entry["quantity"] - stored[entry["product_id"]], 0),
            }
            for entry in demand
        ],
    }
    if params["format"] == "json":
        return listing
    # The supplier reads the community's wall clock, not UTC.
    when = (
        needed_by.astimezone(zone(_timezone(_community(session, tenant_id)))).strftime(
            "%Y-%m-%d %H:%M"
        )
        if needed_by
        else ""
    )
    content = csv_text(
        ["商品编号", "商品", "单位", "数量", "现有库存", "需采购", "订单数", "需到货时间"],
        (
            [
                entry["product_id"],
                entry["name"],
                entry["unit"],
                entry["quantity"],
                entry["on_hand"],
                entry["to_buy"],
                entry["orders"],
                when,
            ]
            for entry in listing["products"]
        ),
    )
    return {"filename": f"purchase-list-{wave_id}.csv", "content": content}


# --- packing slips ---------------------------------------------------------------------------


def packing_slips(session, caller, wave_id, query, locale=messages.DEFAULT_LOCALE):
    """Printable HTML, one slip per paid order of the wave, stacked by building, unit and
    member so the bags come out in the order the leader walks: who, where, what, where and
    when to collect, the pickup code as text and QR (once the order is ready), and the wave's
    packing note (a thank-you card, a recipe)."""
    caller.require_staff()
    params = load(PACKING_SLIPS_QUERY, query)
    tenant_id = caller.tenant_id
    wave_id, wave = find_wave(session, tenant_id, wave_id)
    orders = paid_orders_of_wave(session, tenant_id, wave_id)
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
    community = _community(session, tenant_id)
    locale = locale if locale in messages.CATALOGUE else messages.DEFAULT_LOCALE
    text = messages.labels(locale)

    def door(order):
        member = members.get(order.member_id)
        building, unit, name = (
            (member.building, member.unit, member.name) if member else ("", "", "")
        )
        return (
            (building == "", natural(building)),
            (unit == "", natural(unit)),
            natural(name),
            order.member_id,
        )

    slips = [
        _slip(order, members.get(order.member_id), wave, community, text, locale)
        for order in sorted(orders, key=door)  # sorted() keeps the orders' age within a member
    ]
    title = " · ".join(
        part
        for part in (
            text["slips.title"],
            community.name if community else "",
            wave.title if wave else "",
        )
        if part
    )
    html = _document(title, slips, params["paper"], text, locale)
    return {
        "filename": f"packing-slips-{wave_id}-{params['paper']}.html",
        "html": html,
        "slips": len(slips),
    }


def qr_svg(data):
    """An inline SVG QR code (no image library needed) the leader's phone can scan."""
    code = qrcode.QRCode(border=2, image_factory=SvgPathImage)
    code.add_data(data)
    code.make(fit=True)
    return code.make_image().to_string(encoding="unicode")


def _slip(order, member, wave, community, text, locale):
    timezone = _timezone(community)
    units = wave.units if wave is not None else {}
    point = order.pickup_point or (wave.pickup_point if wave else "")
    at = order.pickup_at or (wave.pickup_at if wave else None)
    rows = "".join(
        f"<tr><td>{escape(item['name'] or item['product_id'])}</td>"
        f'<td class="qty">{int(item["quantity"])}'
        f"{escape(units.get(item['product_id'], ''))}</td></tr>"
        for item in order.items
    )
    if order.open_pickup_code:
        code = (
            f'<div class="code"><div class="qr">{qr_svg(order.open_pickup_code)}</div>'
            f'<div><div class="label">{escape(text["slip.code"])}</div>'
            f'<div class="digits">{escape(order.open_pickup_code)}</div></div></div>'
        )
    else:
        code = f'<div class="code pending">{escape(text["slip.code_pending"])}</div>'
    note = wave.packing_note if wave else ""
    heading = " · ".join(
        part for part in (community.name if community else "", wave.title if wave else "") if part
    )
    return "".join(
        [
            '<section class="slip">',
            f"<header>{escape(heading)}</header>" if heading else "",
            f'<div class="member"><span class="label">{escape(text["slip.member"])}</span> '
            f"<strong>{escape(member.name if member else '')}</strong></div>",
            f'<div class="address"><span class="label">{escape(text["slip.address"])}</span> '
            "<strong>"
            f"{escape(' '.join(p for p in (member.building, member.unit) if p) if member else '')}"
            "</strong></div>",
            f'<table class="items"><thead><tr><th>{escape(text["slip.product"])}</th>'
            f'<th class="qty">{escape(text["slip.quantity"])}</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>",
            f'<dl class="pickup"><dt>{escape(text["slip.pickup_point"])}</dt>'
            f"<dd>{escape(point)}</dd>",
            f"<dt>{escape(text['slip.pickup_at'])}</dt>"
            f"<dd>{escape(messages.local_time(at, timezone, locale)) if at else ''}</dd></dl>",
            code,
            f'<div class="note"><span class="label">{escape(text["slip.note"])}</span>'
            f"<p>{escape(note)}</p></div>"
            if note
            else "",
            f"<footer>{escape(text['slip.order'])} {escape(order.order_id)}</footer>",
            "</section>",
        ]
    )


COMMON_CSS = """
body { font-family: "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; \
color: #000; margin: 0; }
.summary { padding: 4mm; font-size: 14px; }
.slip { box-sizing: border-box; page-break-inside: avoid; break-inside: avoid; font-size: 12px; }
.slip header { font-weight: bold; font-size: 13px; margin-bottom: 2mm; }
.slip .label { color: #555; font-size: 11px; }
.slip .member strong, .slip .address strong { font-size: 15px; }
.slip table.items { width: 100%; border-collapse: collapse; margin: 2mm 0; }
.slip table.items th, .slip table.items td { text-align: left; \
border-bottom: 1px solid #ccc; padding: 1mm 0; }
.slip .qty { text-align: right; white-space: nowrap; }
.slip dl.pickup { display: grid; grid-template-columns: auto 1fr; gap: 0.5mm 2mm; margin: 2mm 0; }
.slip dl.pickup dd { margin: 0; }
.slip .code { display: flex; align-items: center; gap: 3mm; margin: 2mm 0; }
.slip .qr svg { width: 24mm; height: 24mm; display: block; }
.slip .digits { font-size: 22px; font-weight: bold; letter-spacing: 2px; }
.slip .note p { white-space: pre-line; margin: 1mm 0; }
.slip footer { color: #555; font-size: 10px; margin-top: 2mm; }
@media print { .summary { display: none; } }
"""

PAPER_CSS = {
    "a4": """
@page { size: A4; margin: 10mm; }
.page { display: grid; grid-template-columns: 1fr 1fr; gap: 5mm; padding: 4mm; }
.slip { border: 1px dashed #888; padding: 4mm; }
@media print { .page { padding: 0; } \
.page + .page { page-break-before: always; break-before: page; } }
""",
    "80mm": """
@page { size: 80mm auto; margin: 0; }
body { width: 80mm; }
.slip { width: 80mm; padding: 3mm 4mm; border-bottom: 1px dashed #000; }
@media print { .slip { page-break-after: always; break-after: page; }
  .slip:last-child { page-break-after: auto; break-after: auto; } }
""",
}


def _document(title, slips, paper, text, locale):
    if paper == "a4":
        pages = [
            slips[start : start + SLIPS_PER_A4] for start in range(0, len(slips), SLIPS_PER_A4)
        ]
        body = "".join(f'<div class="page">{"".join(page)}</div>' for page in pages)
    else:
        body = "".join(slips)
    summary = text["slips.count"].format(orders=len(slips)) if slips else text["slips.empty"]
    return (
        f'<!DOCTYPE html><html lang="{escape(locale)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{COMMON_CSS}{PAPER_CSS[paper]}</style></head>"
        f'<body class="paper-{paper}">'
        f'<div class="summary">{escape(title)} · {escape(summary)}</div>'
        f"{body}</body></html>"
    )
