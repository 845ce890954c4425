"""The campaign engine (自动化营销): which members a campaign fires for now, and acting on them
exactly once per member and occurrence (see ``campaigns`` for what a campaign is)."""

from calendar import isleap
from datetime import date, timedelta

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from services.crm import loyalty
from services.crm.community import settings
from services.crm.community.models import Community
from services.crm.engagement.campaigns import ensure_defaults
from services.crm.engagement.models import Campaign, CampaignRun, RepurchasePrediction
from services.crm.engagement.prediction import REMINDER_MIN_CONFIDENCE
from services.crm.engagement.reminders import rebought
from services.crm.engagement.schemas import DEFAULT_DAYS
from services.crm.members.models import Member, MemberTag, Purchase
from services.crm.notifications import delivery, inbox
from services.infra.db import utcnow
from services.infra.messaging import inbox_consumer
from services.infra.periods import zone

JOINED_WITHIN = timedelta(days=7)
MESSAGE_KIND = "campaign"


def _birthday_matches(birthday, today):
    try:
        born = date.fromisoformat(birthday)
    except (TypeError, ValueError):
        return False
    if (born.month, born.day) == (today.month, today.day):
        return True
    return (
        (born.month, born.day) == (2, 29)
        and not isleap(today.year)
        and (today.month, today.day) == (2, 28)
    )


def _active_members(campaign):
    statement = select(Member).where(
        Member.tenant_id == campaign.tenant_id, Member.status == "active"
    )
    tags = (campaign.audience or {}).get("tags_any")
    if tags:
        statement = statement.where(
            exists().where(
                and_(
                    MemberTag.member_id == Member.id,
                    MemberTag.tenant_id == campaign.tenant_id,
                    MemberTag.tag.in_(tags),
                )
            )
        )
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
        return [
            (m, "joined", {})
            for m in session.scalars(statement.where(Member.activated_at >= since))
        ]
    if kind == "birthday":
        today = local.date()
        days = [f"%-{today.month:02d}-{today.day:02d}"]
        if (today.month, today.day) == (2, 28):
            days.append("%-02-29")  # checked below: only in a year without 29 February
        return [
            (m, f"birthday:{today.year}", {})
            for m in session.scalars(
                statement.where(or_(*(Member.birthday.like(day) for day in days)))
            )
            if _birthday_matches(m.birthday, today)
        ]
    if kind == "inactive":
        cutoff = now - timedelta(days=trigger.get("days", DEFAULT_DAYS["inactive"]))
        last = (
            select(Purchase.member_id, func.max(Purchase.placed_at).label("last"))
            .where(Purchase.tenant_id == campaign.tenant_id, Purchase.status == "paid")
            .group_by(Purchase.member_id)
            .subquery()
        )
        found = []
        for member, last_at in session.execute(
            statement.add_columns(last.c.last).outerjoin(last, last.c.member_id == Member.id)
        ):
            since = last_at or member.activated_at or member.created_at
            if since is not None and since < cutoff:
                found.append((member, f"inactive:{since.date().isoformat()}", {}))
        return found
    if kind == "repurchase_due":
        horizon = now + timedelta(days=trigger.get("days", DEFAULT_DAYS["repurchase_due"]))
        rows = session.execute(
            statement.add_columns(RepurchasePrediction)
            .join(RepurchasePrediction, RepurchasePrediction.member_id == Member.id)
            .where(
                RepurchasePrediction.product_id.is_not(None),
                RepurchasePrediction.next_due_at > now,
                RepurchasePrediction.next_due_at <= horizon,
                RepurchasePrediction.confidence >= REMINDER_MIN_CONFIDENCE,
                Member.reminders_opt_out.is_(False),
            )
        ).all()
        return [
            (
                member,
                f"due:{p.product_id}:{p.next_due_at.astimezone(local.tzinfo).date().isoformat()}",
                {"product": p.name, "product_id": p.product_id},
            )
            for member, p in rows
            if not rebought(session, p)
        ]
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
    values = {
        "name": member.name,
        "community": community.name,
        "product": params.get("product", ""),
    }
    source = "birthday" if (campaign.trigger or {}).get("type") == "birthday" else "campaign"
    for index, action in enumerate(campaign.actions or ()):
        key = f"campaign:{run.id}:{index}"
        if action["type"] == "message":
            message = {
                "title": campaign.name,
                "body": render_template(action["template"], values),
                "campaign_id": campaign.id,
            }
            inbox.post(session, community.id, member.id, MESSAGE_KIND, message, key, now)
            delivery.notify_member(session, member, MESSAGE_KIND, message, now)
        elif action["type"] == "coupon":
            spec = {
                "kind": "fixed",
                "amount_cents": action["amount_cents"],
                "min_spend_cents": action.get("min_spend_cents", 0),
                "valid_days": action["valid_days"],
            }
            loyalty.issue_coupon(session, community.id, member.id, spec, source, key, now)
        elif action["type"] == "points":
            loyalty.award_points(
                session, community.id, member.id, action["amount"], key, campaign.name[:200]
            )


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
    done = set(
        session.execute(
            select(CampaignRun.member_id, CampaignRun.occurrence).where(
                CampaignRun.campaign_id == campaign.id,
                CampaignRun.member_id.in_({m.id for m, _, _ in found}),
            )
        ).all()
    )
    made = 0
    for member, occurrence, params in found:
        if (member.id, occurrence) in done:
            continue
        # The run's key first: if another process acts at the same time, its flush fails and
        # this transaction (the actions with it) rolls back.
        run = CampaignRun(
            tenant_id=community.id,
            campaign_id=campaign.id,
            member_id=member.id,
            occurrence=occurrence[:80],
            sent_at=now,
        )
        session.add(run)
        session.flush()
        act(session, campaign, community, member, run, params, now)
        done.add((member.id, occurrence))
        made += 1
    return made


def run_community(session, community, now=None, member_id=None, trigger=None):
    now = now or utcnow()
    statement = select(Campaign).where(
        Campaign.tenant_id == community.id, Campaign.active.is_(True)
    )
    made = (
        0  # a community has few campaigns: the trigger is compared here, the same on every engine
    )
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
    if (
        community is None
        or not isinstance(member_id, str)
        or event["data"].get("status") != "active"
    ):
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
