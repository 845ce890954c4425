"""The words members read, by language: zh-CN first, so another language is one more table.

Messages are stored as a key and parameters and rendered when read, so a member reading in
English later sees the same notice in English.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

DEFAULT_LOCALE = "zh-CN"

CATALOGUE = {
    "zh-CN": {
        "pickup_ready.title": "您的订单到货啦",
        "pickup_ready.body": "取货码 {code},请于 {at} 到「{point}」自提。"
        "凭取货码领取,不用再问团长啦。",
        "pickup_reminder.title": "记得来取货哦",
        "pickup_reminder.body": "您的{items}已到「{point}」,取货码 {code},记得来取哦。",
        "items.separator": "、",
        "items.none": "订单",
        "welcome.title": "欢迎加入「{community}」",
        "welcome.body": "{guide}",
        "welcome.default_guide": "欢迎加入!有任何问题都可以在群里问团长。",
        "pickup_batch.title": "到货通知",
        "pickup_batch.body": "本批订单已到「{point}」,{at} 起可凭取货码自提(共 {orders} 单)。",
        "post.title": "【{kind}】{title}",
        "post.body": "{body}",
        "post.kind.knowledge": "团长分享",
        "post.kind.event": "活动",
        "repurchase_reminder.title": "{product}该补货啦",
        "repurchase_reminder.body": "{name},您上次订的{product}快用完了吧?"
        "现在下单,团长帮您备好货。",
        "campaign.title": "{title}",
        "campaign.body": "{body}",
    },
    "en": {
        "pickup_ready.title": "Your order has arrived",
        "pickup_ready.body": "Pickup code {code}: collect it at {point} from {at}.",
        "pickup_reminder.title": "Your order is waiting for you",
        "pickup_reminder.body": "Your {items} is waiting at {point}. Pickup code {code}.",
        "items.separator": ", ",
        "items.none": "order",
        "welcome.title": "Welcome to {community}",
        "welcome.body": "{guide}",
        "welcome.default_guide": "Welcome! Ask your group leader anything in the group chat.",
        "pickup_batch.title": "Your orders have arrived",
        "pickup_batch.body": "This batch is at {point}: "
        "collect it with your pickup code from {at} ({orders} orders).",
        "post.title": "[{kind}] {title}",
        "post.body": "{body}",
        "post.kind.knowledge": "Tips",
        "post.kind.event": "Event",
        "repurchase_reminder.title": "Time to restock {product}?",
        "repurchase_reminder.body": "{name}, your {product} is probably running low. "
        "Order now and it will be ready for you.",
        "campaign.title": "{title}",
        "campaign.body": "{body}",
    },
}

TIME_FORMAT = {
    "zh-CN": "{month}月{day}日 {hour:02d}:{minute:02d}",
    "en": "{day}/{month} {hour:02d}:{minute:02d}",
}


def local_time(iso, timezone, locale):
    """An ISO-8601 instant as the community's wall clock, the way its members write it."""
    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo(timezone))
    pattern = TIME_FORMAT.get(locale, TIME_FORMAT[DEFAULT_LOCALE])
    return pattern.format(
        month=moment.month, day=moment.day, hour=moment.hour, minute=moment.minute
    )


def render(kind, params, timezone, locale=DEFAULT_LOCALE):
    table = CATALOGUE.get(locale, CATALOGUE[DEFAULT_LOCALE])
    values = {**params}
    if "at" in values:
        values["at"] = local_time(values["at"], timezone, locale)
    if isinstance(values.get("items"), list):  # [{name, quantity}] -> "水蜜桃×2、牛奶×1"
        values["items"] = (
            table["items.separator"].join(
                f"{item['name']}×{item['quantity']}" for item in values["items"]
            )
            or table["items.none"]
        )
    if kind == "welcome" and not values.get("guide"):
        values["guide"] = table["welcome.default_guide"]
    if kind == "post" and "kind" in values:
        values["kind"] = table.get(f"post.kind.{values['kind']}", values["kind"])
    return {
        "title": table[f"{kind}.title"].format(**values),
        "body": table[f"{kind}.body"].format(**values),
    }
