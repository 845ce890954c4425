"""The words on fulfilment's printed documents, by language: zh-CN first (the leader packs and
the neighbours read in Chinese), so another language is one more table."""

from datetime import datetime

from services.infra.periods import zone  # the community's clock; an unknown name reads China's

DEFAULT_LOCALE = "zh-CN"

CATALOGUE = {
    "zh-CN": {
        "slips.title": "分拣单",
        "slips.count": "共 {orders} 单",
        "slips.empty": "这个团期还没有已付款的订单。",
        "slip.order": "订单号",
        "slip.member": "团员",
        "slip.address": "楼栋单元",
        "slip.product": "商品",
        "slip.quantity": "数量",
        "slip.pickup_point": "取货点",
        "slip.pickup_at": "取货时间",
        "slip.code": "取货码",
        "slip.code_pending": "到货后生成取货码",
        "slip.note": "团长的话",
        "time": "{month}月{day}日 {hour:02d}:{minute:02d}",
    },
    "en": {
        "slips.title": "Packing slips",
        "slips.count": "{orders} orders",
        "slips.empty": "This wave has no paid orders yet.",
        "slip.order": "Order",
        "slip.member": "Member",
        "slip.address": "Building / unit",
        "slip.product": "Product",
        "slip.quantity": "Qty",
        "slip.pickup_point": "Pickup point",
        "slip.pickup_at": "Pickup time",
        "slip.code": "Pickup code",
        "slip.code_pending": "The pickup code comes when the order is ready",
        "slip.note": "From your leader",
        "time": "{day}/{month} {hour:02d}:{minute:02d}",
    },
}


def labels(locale):
    """The catalogue of ``locale``; an unknown language reads Chinese."""
    return CATALOGUE.get(locale, CATALOGUE[DEFAULT_LOCALE])


def local_time(moment: datetime, timezone, locale=DEFAULT_LOCALE):
    """An instant as the community's wall clock, the way its members write it."""
    moment = moment.astimezone(zone(timezone))
    return labels(locale)["time"].format(
        month=moment.month, day=moment.day, hour=moment.hour, minute=moment.minute
    )
