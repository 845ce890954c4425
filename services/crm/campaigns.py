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

from calendar import isleap
from datetime import date, timedelta

from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from services.crm import loyalty, notify, settings
from services.crm.models import (
    Campaign,
    CampaignRun,
    Community,
    InboxMessage,
    Member,
    MemberTag,
    Purchase,
    RepurchasePrediction,
)
from services.crm.prediction import REMINDER_MIN_CONFIDENCE
from services.crm.reminders import rebought
from services.infra.db import get_in_community, newest_first, utcnow
from services.infra.messaging import inbox_consumer
from services.infra.periods import zone
from services.infra.schemas import (
    Int,
    PageSchema,
    StrictBoolean,
    StrictSchema,
    Text,
    decode_cursor,
    load,
    page,
)

TRIGGERS = ("repurchase_due", "birthday", "member_joined", "inactive")
ACTIONS = ("message", "coupon", "points")
DEFAULT_DAYS = {"inactive": 30, "repurchase_due": 1}
MAX_TEMPLATE = 500
JOINED_WITHIN = timedelta(days=7)
CONVERSION_DAYS = 7
MESSAGE_KIND = "campaign"

DEFAULTS = {
    "birthday": {
        "name": "生日祝福",
        "trigger": {"type": "birthday"},
        "audience": {},
        "actions": [
            {"type": "message", "template": "{name},生日快乐!「{community}」的团长送您一张无门槛优惠券,祝您天天开心。"},
            {"type": "coupon", "amount_cents": 500, "min_spend_cents": 0, "valid_days": 7},
        ],
        "schedule": {"hour": 9},
    },
}


# --- input -----------------------------------------------------------------------------------

class TriggerInput(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(TRIGGERS))
    days = Int(1, 365)

    @validates_schema
    def _days(self, data, **kwargs):
        if "days" in data and data.get("type") not in DEFAULT_DAYS:
            raise ValidationError("Only for inactive and repurchase_due.", "days")


class AudienceInput(StrictSchema):
    tags_any = fields.List(Text(40), validate=validate.Length(max=20))


class ActionInput(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    template = fields.String(validate=validate.Length(min=1, max=MAX_TEMPLATE))
    amount_cents = Int(1, loyalty.MAX_COUPON_CENTS)
    min_spend_cents = Int(0, loyalty.MAX_COUPON_CENTS)
    valid_days = Int(1, 3650)
    amount = Int(1, 100_000)

    @validates_schema
    def _fields_of_type(self, data, **kwargs):
        needed = {"message": ("template",), "coupon": ("amount_cents", "valid_days"), "points": ("amount",)}
        allowed = {"message": {"template"}, "coupon": {"amount_cents", "min_spend_cents", "valid_days"},
                   "points": {"amount"}}
        kind = data["type"]
        errors = {key: ["Required for this action."] for key in needed[kind] if key not in data}
        errors.update({key: [f"Not for a {kind} action."] for key in data
                       if key != "type" and key not in allowed[kind]})
        if kind == "message" and "template" in data and not data["template"].strip():
            errors["template"] = ["Must not be blank."]
        if errors:
            raise ValidationError(errors)


class ScheduleInput(StrictSchema):
    hour = Int(0, 23)


class CampaignInput(StrictSchema):
    name = Text(60)
    trigger = fields.Nested(TriggerInput, required=True)
    audience = fields.Nested(AudienceInput, load_default=dict)
    actions = fields.List(fields.Nested(ActionInput), required=True, validate=validate.Length(min=1, max=5))
    schedule = fields.Nested(ScheduleInput, load_default=dict)
    active = StrictBoolean(load_default=True)


class CampaignPatch(StrictSchema):
    name = Text(60, required=False)
    audience = fields.Nested(AudienceInput)
    actions = fields.List(fields.Nested(ActionInput), validate=validate.Length(min=1, max=5))
    schedule = fields.Nested(ScheduleInput)
    active = StrictBoolean()

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Nothing to change.", "_schema")


CAMPAIGN_INPUT, CAMPAIGN_PATCH, CAMPAIGN_QUERY = CampaignInput(), CampaignPatch(), PageSchema()


# --- the leader's side -----------------------------------------------------------------------

def ensure_defaults(session, tenant_id, now=None):
    """The campaigns every community gets (the birthday greeting), made once."""
    have = set(session.scalars(select(Campaign.system_key).where(
        Campaign.tenant_id == tenant_id, Campaign.system_key.is_not(None))))
    for key, spec in DEFAULTS.items():
        if key not in have:
            session.add(Campaign(tenant_id=tenant_id, system_key=key, active=True, created_at=now or utcnow(),
                                 **{field: value for field, value in spec.items()}))
    session.flush()


def _clean(data):
    audience = {"tags_any": sorted({tag.strip() for tag in data["audience"].get("tags_any", [])})} \
        if data["audience"].get("tags_any") else {}
    data["audience"] = audience
    return data


def create_campaign(session, caller, payload):
    caller.require_leader("Only the leader manages campaigns.")
    data = _clean(load(CAMPAIGN_INPUT, payload))
    trigger = dict(data["trigger"])
    if trigger["type"] in DEFAULT_DAYS:
        trigger.setdefault("days", DEFAULT_DAYS[trigger["type"]])
    campaign = Campaign(tenant_id=caller.tenant_id, name=data["name"].strip(), trigger=trigger,
                        audience=data["audience"], actions=data["actions"], schedule=data["schedule"],
                        active=data["active"], created_at=utcnow())
    session.add(campaign)
    session.flush()
    return campaign_view(session, campaign)


def update_campaign(session, caller, campaign_id, payload):
    """The leader pauses, resumes or changes a campaign (its trigger stays: make a new one)."""
    caller.require_leader("Only the leader manages campaigns.")
    data = load(CAMPAIGN_PATCH, payload)
    campaign = get_in_community(session, Campaign, campaign_id, caller.tenant_id, "No such campaign.", "campaign_id")
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
    statement = newest_first(select(Campaign).where(Campaign.tenant_id == caller.tenant_id), Campaign,
                             decode_cursor(params["cursor"]), params["limit"])
    return page([campaign_view(session, c, with_stats=False) for c in session.scalars(statement)], params["limit"])


def get_campaign(session, caller, campaign_id):
    caller.require_staff()
    campaign = get_in_community(session, Campaign, campaign_id, caller.tenant_id, "No such campaign.", "campaign_id")
    return campaign_view(session, campaign)


def campaign_view(session, campaign, with_stats=True):
    view = {"id": campaign.id, "name": campaign.name, "trigger": campaign.trigger, "audience": campaign.audience,
            "actions": campaign.actions, "schedule": campaign.schedule, "active": campaign.active,
            "system": campaign.system_key, "created_at": campaign.created_at.isoformat()}
    if with_stats:
        view["stats"] = campaign_stats(session, campaign)
    return view


def campaign_stats(session, campaign):
    """``{sent, converted, revenue_cents}`` (see the module's docstring)."""
    runs = session.execute(select(CampaignRun.member_id, CampaignRun.sent_at).where(
        CampaignRun.campaign_id == campaign.id)).all()
    if not runs:
        return {"sent": 0, "converted": 0, "revenue_cents": 0}
    window = timedelta(days=CONVERSION_DAYS)
    first = min(at for _, at in runs)
    orders = {}
    for order_id, member_id, placed_at, total, refunded in session.execute(
            select(Purchase.order_id, Purchase.member_id, Purchase.placed_at, Purchase.total_cents,
                   Purchase.refunded_cents).where(
                Purchase.tenant_id == campaign.tenant_id, Purchase.member_id.in_({m for m, _ in runs}),
                Purchase.status == "paid", Purchase.placed_at >= first)):
        orders.setdefault(member_id, []).append((order_id, placed_at, total - (refunded or 0)))
    converted, counted = 0, {}
    for member_id, sent_at in runs:
        following = [(oid, cents) for oid, at, cents in orders.get(member_id, ()) if sent_at <= at < sent_at + window]
        if following:
            converted += 1
            counted.update(following)
    return {"sent": len(runs), "converted": converted, "revenue_cents": int(sum(counted.values()))}


# --- the engine ------------------------------------------------------------------------------

def _birthday_matches(birthday, today):
    try:
        born = date.fromisoformat(birthday)
    except (TypeError, ValueError):
        return False
    if (born.month, born.day) == (today.month, today.day):
        return True
    return (born.month, born.day) == (2, 29) and not isleap(today.year) and (today.month, today.day) == (2, 28)


def _active_members(campaign):
    statement = select(Member).where(Member.tenant_id == campaign.tenant_id, Member.status == "active")
    tags = (campaign.audience or {}).get("tags_any")
    if tags:
        statement = statement.where(exists().where(and_(
            MemberTag.member_id == Member.id, MemberTag.tenant_id == campaign.tenant_id, MemberTag.tag.in_(tags))))
    return statement


def occurrences(session, campaign, community, now, member_id=None):
    """``[(member, occurrence, params)]`` the campaign's trigger fires for now."""
    statement = _active_members(campaign)
    if member_id is not None:
        statement = statement.where(Member.id == member_id)
    trigger = campaign.trigger or {}
    kind = trigger.get("type")
    local = now.astimezone(zone(community.timezone))
    if kind == "member_joined":
        since = max(campaign.created_at, now - JOINED_WITHIN)
        return [(m, "joined", {}) for m in session.scalars(statement.where(Member.activated_at >= since))]
    if kind == "birthday":
        today = local.date()
        days = [f"%-{today.month:02d}-{today.day:02d}"]
        if (today.month, today.day) == (2, 28):
            days.append("%-02-29")  # checked below: only in a year without 29 February
        return [(m, f"birthday:{today.year}", {})
                for m in session.scalars(statement.where(or_(*(Member.birthday.like(day) for day in days))))
                if _birthday_matches(m.birthday, today)]
    if kind == "inactive":
        cutoff = now - timedelta(days=trigger.get("days", DEFAULT_DAYS["inactive"]))
        last = select(Purchase.member_id, func.max(Purchase.placed_at).label("last")).where(
            Purchase.tenant_id == campaign.tenant_id, Purchase.status == "paid").group_by(Purchase.member_id).subquery()
        found = []
        for member, last_at in session.execute(statement.add_columns(last.c.last).outerjoin(
                last, last.c.member_id == Member.id)):
            since = last_at or member.activated_at or member.created_at
            if since is not None and since < cutoff:
                found.append((member, f"inactive:{since.date().isoformat()}", {}))
        return found
    if kind == "repurchase_due":
        horizon = now + timedelta(days=trigger.get("days", DEFAULT_DAYS["repurchase_due"]))
        rows = session.execute(statement.add_columns(RepurchasePrediction).join(
            RepurchasePrediction, RepurchasePrediction.member_id == Member.id).where(
            RepurchasePrediction.product_id.is_not(None), RepurchasePrediction.next_due_at > now,
            RepurchasePrediction.next_due_at <= horizon, RepurchasePrediction.confidence >= REMINDER_MIN_CONFIDENCE,
            Member.reminders_opt_out.is_(False))).all()
        return [(member, f"due:{p.product_id}:{p.next_due_at.astimezone(local.tzinfo).date().isoformat()}",
                 {"product": p.name, "product_id": p.product_id})
                for member, p in rows if not rebought(session, p)]
    return []


def render_template(template, values):
    """The leader's text with ``{name}``, ``{product}``, ``{community}`` filled in (plain
    replacement: braces in the text stay as written)."""
    text = template
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def act(session, campaign, community, member, run, params, now):
    """The campaign's actions for one member, each once by its key."""
    values = {"name": member.name, "community": community.name, "product": params.get("product", "")}
    source = "birthday" if (campaign.trigger or {}).get("type") == "birthday" else "campaign"
    for index, action in enumerate(campaign.actions or ()):
        key = f"campaign:{run.id}:{index}"
        if action["type"] == "message":
            message = {"title": campaign.name, "body": render_template(action["template"], values),
                       "campaign_id": campaign.id}
            session.add(InboxMessage(tenant_id=community.id, member_id=member.id, kind=MESSAGE_KIND,
                                     params=message, dedupe_key=key, created_at=now))
            session.flush()
            notify.notify_member(session, community.id, member.id, MESSAGE_KIND, message, now)
        elif action["type"] == "coupon":
            spec = {"kind": "fixed", "amount_cents": action["amount_cents"],
                    "min_spend_cents": action.get("min_spend_cents", 0), "valid_days": action["valid_days"]}
            loyalty.issue_coupon(session, community.id, member.id, spec, source, key, now)
        elif action["type"] == "points":
            loyalty.award_points(session, community.id, member.id, action["amount"], key, campaign.name[:200])


def run_campaign(session, campaign, community, now=None, member_id=None):
    """Act on every member the campaign fires for now and has not acted on for that
    occurrence. Returns how many runs it made."""
    now = now or utcnow()
    if not campaign.active:
        return 0
    local = now.astimezone(zone(community.timezone))
    if settings.in_quiet_hours(settings.effective(community)["quiet_hours"], local):
        return 0
    hour = (campaign.schedule or {}).get("hour")
    if hour is not None and local.hour < hour:
        return 0
    found = occurrences(session, campaign, community, now, member_id)
    if not found:
        return 0
    done = set(session.execute(select(CampaignRun.member_id, CampaignRun.occurrence).where(
        CampaignRun.campaign_id == campaign.id, CampaignRun.member_id.in_({m.id for m, _, _ in found}))).all())
    made = 0
    for member, occurrence, params in found:
        if (member.id, occurrence) in done:
            continue
        # The run's key first: if another process acts at the same time, its flush fails and
        # this transaction (the actions with it) rolls back.
        run = CampaignRun(tenant_id=community.id, campaign_id=campaign.id, member_id=member.id,
                          occurrence=occurrence[:80], sent_at=now)
        session.add(run)
        session.flush()
        act(session, campaign, community, member, run, params, now)
        done.add((member.id, occurrence))
        made += 1
    return made


def run_community(session, community, now=None, member_id=None, trigger=None):
    now = now or utcnow()
    statement = select(Campaign).where(Campaign.tenant_id == community.id, Campaign.active.is_(True))
    made = 0  # a community has few campaigns: the trigger is compared here, the same on every engine
    for campaign in session.scalars(statement.order_by(Campaign.created_at, Campaign.id)).all():
        if trigger is None or (campaign.trigger or {}).get("type") == trigger:
            made += run_campaign(session, campaign, community, now, member_id)
    return made


@inbox_consumer("services.crm.campaigns:on_member_activated")
def on_member_activated(session, event):
    """crm's own ``member_joined``/``member_approved``: welcome campaigns act at once (the
    timer would within a minute; this is for the member opening the app right away)."""
    member_id = event["data"].get("member_id")
    community = session.get(Community, event["tenant_id"])
    if community is None or not isinstance(member_id, str) or event["data"].get("status") != "active":
        return
    run_community(session, community, utcnow(), member_id=member_id, trigger="member_joined")


def tick(Session, now=None, send_reminders=None):
    """The timer's work: every community in its own transaction (defaults, reminders,
    campaigns). A community whose transaction loses a race rolls back and is done next time."""
    now = now or utcnow()
    with Session.begin():
        tenant_ids = list(Session.scalars(select(Community.id)))
    made = 0
    for tenant_id in tenant_ids:
        try:
            with Session.begin():
                community = Session.get(Community, tenant_id)
                ensure_defaults(Session, tenant_id, now)
                if send_reminders is not None:
                    made += send_reminders(Session, community, now)
                made += run_community(Session, community, now)
        except IntegrityError:
            continue
    return made
