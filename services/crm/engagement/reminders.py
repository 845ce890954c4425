"""Repurchase reminders (复购提醒) from the stored predictions, and their conversion.

A member gets a reminder for a product when its predicted due date (``prediction``) is near:
from ``DAYS_BEFORE`` day(s) before the due date at the community's ``reminder_hour`` until the
due moment itself, and only

* once per cycle: one ``Reminder`` per member, product and due date (a unique key);
* if the member has not re-bought it since the purchase the prediction counts from;
* if the member is active and has not opted out (``PATCH /me {reminders_opt_out: true}``);
* outside the community's quiet hours (what falls in them waits for their end);
* for predictions confident enough (``prediction.REMINDER_MIN_CONFIDENCE``).

It is an inbox message (catalogue kind ``repurchase_reminder``: "李姐,您上次订的鲜奶快用完了吧?")
and the member's channels (``delivery.notify_member``).

Conversion: a reminder converts when the member orders that product within
``CONVERSION_DAYS`` of it and the order is paid (``record_conversion``, from the purchase read
model when ``order_paid`` arrives). ``reminder_stats`` counts both for the cockpit.
"""

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from services.crm.community import settings
from services.crm.engagement.models import Reminder, RepurchasePrediction
from services.crm.engagement.prediction import REMINDER_MIN_CONFIDENCE
from services.crm.members.models import Member, Purchase
from services.crm.notifications import delivery, inbox
from services.infra.db import utcnow
from services.infra.periods import zone

DAYS_BEFORE = 1
CONVERSION_DAYS = 3
KIND = "repurchase_reminder"
NOT_BOUGHT = ("cancelled", "refunded")


def remind_from(due_at, reminder_hour, tz, days_before=DAYS_BEFORE):
    """The earliest moment (UTC) a reminder for ``due_at`` may go: ``days_before`` days before
    the due date (community calendar), at ``reminder_hour``."""
    due_day = due_at.astimezone(tz).date()
    return datetime.combine(due_day - timedelta(days=days_before), time(reminder_hour), tz)


def rebought(session, prediction):
    statement = select(Purchase.lines).where(
        Purchase.tenant_id == prediction.tenant_id,
        Purchase.member_id == prediction.member_id,
        Purchase.placed_at > prediction.last_purchase_at,
        Purchase.status.not_in(NOT_BOUGHT),
    )
    return any(
        isinstance(line, dict) and line.get("product_id") == prediction.product_id
        for lines in session.scalars(statement)
        for line in (lines or ())
    )


def send_due(session, community, now=None):
    """Send the reminders due now in one community. Returns how many went out."""
    now = now or utcnow()
    config = settings.effective(community)
    tz = zone(community.timezone)
    if settings.in_quiet_hours(config["quiet_hours"], now.astimezone(tz)):
        return 0
    horizon = now + timedelta(days=DAYS_BEFORE + 1)  # nothing further out can be due for a reminder
    candidates = session.execute(
        select(RepurchasePrediction, Member)
        .join(Member, Member.id == RepurchasePrediction.member_id)
        .where(
            RepurchasePrediction.tenant_id == community.id,
            RepurchasePrediction.product_id.is_not(None),
            RepurchasePrediction.next_due_at > now,
            RepurchasePrediction.next_due_at <= horizon,
            RepurchasePrediction.confidence >= REMINDER_MIN_CONFIDENCE,
            Member.status == "active",
            Member.reminders_opt_out.is_(False),
        )
    ).all()
    sent = 0
    for prediction, member in candidates:
        if now < remind_from(prediction.next_due_at, config["reminder_hour"], tz):
            continue
        due_on = prediction.next_due_at.astimezone(tz).date().isoformat()
        already = session.scalar(
            select(Reminder.id).where(
                Reminder.tenant_id == community.id,
                Reminder.member_id == member.id,
                Reminder.product_id == prediction.product_id,
                Reminder.due_on == due_on,
            )
        )
        if already is not None or rebought(session, prediction):
            continue
        session.add(
            Reminder(
                tenant_id=community.id,
                member_id=member.id,
                product_id=prediction.product_id,
                due_on=due_on,
                sent_at=now,
            )
        )
        params = {
            "name": member.name,
            "product": prediction.name,
            "product_id": prediction.product_id,
            "due_on": due_on,
        }
        inbox.post(
            session,
            community.id,
            member.id,
            KIND,
            params,
            f"reminder:{prediction.product_id}:{due_on}",
            now,
        )
        delivery.notify_member(session, member, KIND, params, now)
        sent += 1
    return sent


def record_conversion(session, purchase):
    """A paid purchase converts the member's unconverted reminders for its products sent at
    most ``CONVERSION_DAYS`` before it was ordered. Returns how many it converted."""
    product_ids = {
        line.get("product_id") for line in purchase.lines or () if isinstance(line, dict)
    }
    if not product_ids:
        return 0
    window = timedelta(days=CONVERSION_DAYS)
    reminders = session.scalars(
        select(Reminder).where(
            Reminder.tenant_id == purchase.tenant_id,
            Reminder.member_id == purchase.member_id,
            Reminder.product_id.in_(sorted(product_ids)),
            Reminder.converted_order_id.is_(None),
            Reminder.sent_at <= purchase.placed_at,
            Reminder.sent_at > purchase.placed_at - window,
        )
    ).all()
    for reminder in reminders:
        reminder.converted_order_id, reminder.converted_at = purchase.order_id, utcnow()
    return len(reminders)


def reminder_stats(session, tenant_id, start, end):
    """``{sent, converted}`` of the reminders sent in ``[start, end)`` (UTC instants): the
    cockpit's figures (converted: ordered within ``CONVERSION_DAYS`` and paid)."""
    sent, converted = session.execute(
        select(func.count(Reminder.id), func.count(Reminder.converted_order_id)).where(
            Reminder.tenant_id == tenant_id, Reminder.sent_at >= start, Reminder.sent_at < end
        )
    ).one()
    return {"sent": int(sent), "converted": int(converted)}
