"""The automation engine (自动化营销): campaigns that act on members by themselves.

A campaign is a trigger, an audience, actions and a schedule:

* triggers, each with its *occurrence* (what "once" means):
  ``member_joined`` (a member became active after the campaign was made, within
  ``JOINED_WITHIN``; once per member), ``birthday`` (on the member's birthday in the community's
  calendar, 29 Feb on 28 Feb in other years; once per year), ``inactive`` (no paid order for
  ``days``, default 30; once per quiet spell, keyed by the last order) and ``repurchase_due``
  (a product's predicted due date within ``days``, default 1; once per product and due date;
  not for members who opted out of reminders, nor after they re-bought);
* audience: ``tags_any`` (manual or automatic tags; none = every active member);
* actions: ``message`` (an inbox message from the leader's template: ``{name}``, ``{product}``,
  ``{community}`` are filled in; also to the member's channels), ``coupon`` (fixed amount,
  minimum spend, valid days), ``points``;
* schedule: ``hour`` (community time): not before this hour of the day.

Runs: the timer (``tick``, every minute) and, for ``member_joined``, crm's own
``member_joined``/``member_approved`` events, for an immediate welcome. Nothing is sent in the
community's quiet hours (it waits for their end). Exactly once per member and occurrence, even
across restarts and with two processes: a ``CampaignRun`` row (unique campaign + member +
occurrence) is written in the same transaction as the actions, and each action is idempotent
by its own key (``campaign:<run>:<n>``: the coupon's ``source_key``, the points' ``entry_key``,
the message's ``dedupe_key``); a process that loses the race rolls back and skips it next time.

Stats: ``sent`` (runs), ``converted`` (runs followed within ``CONVERSION_DAYS`` by a paid order
of the member) and ``revenue_cents`` (those orders' totals less refunds, each order once).

Every community gets a birthday greeting at 9:00 (``DEFAULTS``), made once (``system_key``).
"""

from datetime import timedelta

from sqlalchemy import select

from services.crm.engagement.models import Campaign, CampaignRun
from services.crm.engagement.schemas import (
    CAMPAIGN_INPUT,
    CAMPAIGN_PATCH,
    CAMPAIGN_QUERY,
    DEFAULT_DAYS,
)
from services.crm.members.models import Purchase
from services.infra.db import get_in_community, newest_first, utcnow
from services.infra.schemas import decode_cursor, load, page

CONVERSION_DAYS = 7

DEFAULTS = {
    "birthday": {
        "name": "生日祝福",
        "trigger": {"type": "birthday"},
        "audience": {},
        "actions": [
            {
                "type": "message",
                "template": "{name},生日快乐!「{community}」的团长送您一张无门槛优惠券,"
                "祝您天天开心。",
            },
            {"type": "coupon", "amount_cents": 500, "min_spend_cents": 0, "valid_days": 7},
        ],
        "schedule": {"hour": 9},
    },
}


def ensure_defaults(session, tenant_id, now=None):
    """The campaigns every community gets (the birthday greeting), made once."""
    have = set(
        session.scalars(
            select(Campaign.system_key).where(
                Campaign.tenant_id == tenant_id, Campaign.system_key.is_not(None)
            )
        )
    )
    for key, spec in DEFAULTS.items():
        if key not in have:
            session.add(
                Campaign(
                    tenant_id=tenant_id,
                    system_key=key,
                    active=True,
                    created_at=now or utcnow(),
                    **{field: value for field, value in spec.items()},
                )
            )
    session.flush()


def _clean(data):
    audience = (
        {"tags_any": sorted({tag.strip() for tag in data["audience"].get("tags_any", [])})}
        if data["audience"].get("tags_any")
        else {}
    )
    data["audience"] = audience
    return data


def create_campaign(session, caller, payload):
    caller.require_leader("Only the leader manages campaigns.")
    data = _clean(load(CAMPAIGN_INPUT, payload))
    trigger = dict(data["trigger"])
    if trigger["type"] in DEFAULT_DAYS:
        trigger.setdefault("days", DEFAULT_DAYS[trigger["type"]])
    campaign = Campaign(
        tenant_id=caller.tenant_id,
        name=data["name"].strip(),
        trigger=trigger,
        audience=data["audience"],
        actions=data["actions"],
        schedule=data["schedule"],
        active=data["active"],
        created_at=utcnow(),
    )
    session.add(campaign)
    session.flush()
    return campaign_view(session, campaign)


def update_campaign(session, caller, campaign_id, payload):
    """The leader pauses, resumes or changes a campaign (its trigger stays: make a new one)."""
    caller.require_leader("Only the leader manages campaigns.")
    data = load(CAMPAIGN_PATCH, payload)
    campaign = get_in_community(
        session, Campaign, campaign_id, caller.tenant_id, "No such campaign.", "campaign_id"
    )
    if "audience" in data:
        campaign.audience = _clean({"audience": data["audience"]})["audience"]
    for field in ("actions", "schedule", "active"):
        if field in data:
            setattr(campaign, field, data[field])
    if "name" in data:
        campaign.name = data["name"].strip()
    session.flush()
    return campaign_view(session, campaign)


def list_campaigns(session, caller, query):
    caller.require_staff()
    params = load(CAMPAIGN_QUERY, query)
    ensure_defaults(session, caller.tenant_id)
    statement = newest_first(
        select(Campaign).where(Campaign.tenant_id == caller.tenant_id),
        Campaign,
        decode_cursor(params["cursor"]),
        params["limit"],
    )
    return page(
        [campaign_view(session, c, with_stats=False) for c in session.scalars(statement)],
        params["limit"],
    )


def get_campaign(session, caller, campaign_id):
    caller.require_staff()
    campaign = get_in_community(
        session, Campaign, campaign_id, caller.tenant_id, "No such campaign.", "campaign_id"
    )
    return campaign_view(session, campaign)


def campaign_view(session, campaign, with_stats=True):
    view = {
        "id": campaign.id,
        "name": campaign.name,
        "trigger": campaign.trigger,
        "audience": campaign.audience,
        "actions": campaign.actions,
        "schedule": campaign.schedule,
        "active": campaign.active,
        "system": campaign.system_key,
        "created_at": campaign.created_at.isoformat(),
    }
    if with_stats:
        view["stats"] = campaign_stats(session, campaign)
    return view


def campaign_stats(session, campaign):
    """``{sent, converted, revenue_cents}`` (see the module's docstring)."""
    runs = session.execute(
        select(CampaignRun.member_id, CampaignRun.sent_at).where(
            CampaignRun.campaign_id == campaign.id
        )
    ).all()
    if not runs:
        return {"sent": 0, "converted": 0, "revenue_cents": 0}
    window = timedelta(days=CONVERSION_DAYS)
    first = min(at for _, at in runs)
    orders = {}
    for order_id, member_id, placed_at, total, refunded in session.execute(
        select(
            Purchase.order_id,
            Purchase.member_id,
            Purchase.placed_at,
            Purchase.total_cents,
            Purchase.refunded_cents,
        ).where(
            Purchase.tenant_id == campaign.tenant_id,
            Purchase.member_id.in_({m for m, _ in runs}),
            Purchase.status == "paid",
            Purchase.placed_at >= first,
        )
    ):
        orders.setdefault(member_id, []).append((order_id, placed_at, total - (refunded or 0)))
    converted, counted = 0, {}
    for member_id, sent_at in runs:
        following = [
            (oid, cents)
            for oid, at, cents in orders.get(member_id, ())
            if sent_at <= at < sent_at + window
        ]
        if following:
            converted += 1
            counted.update(following)
    return {"sent": len(runs), "converted": converted, "revenue_cents": int(sum(counted.values()))}
