"""crm's checkout terms, remembered: most orders use neither coupon nor points, and for those
the member's tier discount is all crm would add. Orders keeps what crm last answered
(``apply_checkout`` sends the member's ``terms`` with every checkout) and prices such an order
itself, without a call to crm, whose round trip would otherwise be a large share of its cost.

Terms are forgotten when crm says they changed (``crm.checkout_terms_changed``: a member's
spend moved them to another tier, or the community's tier rules changed), and they expire by
themselves (crm's ``valid_until``: when an old purchase leaves the tier window, at most a day),
so a missed change heals. Both times are on orders' clock: terms count only if the call that
brought them was sent after the last change orders heard of, with a margin for the clocks of
several orders processes.

crm gives terms only to an active member (it refuses the checkout of a pending or rejected one),
and an active member stays active today: a feature that ends a membership must announce
``checkout_terms_changed`` too.
"""

from datetime import timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from services.infra.db import utcnow
from services.infra.errors import Invalid
from services.infra.messaging import inbox_consumer
from services.infra.schemas import load
from services.orders.events import TermsChangedData
from services.orders.models import CheckoutTerms
from services.orders.schemas import TERMS

WHOLE_COMMUNITY = "*"
CLOCK_MARGIN = timedelta(seconds=1)


TERMS_CHANGED = TermsChangedData()


# Built once: this runs for every order (columns, not entities, for the same reason).
_TERMS_OF = select(
    CheckoutTerms.member_id,
    CheckoutTerms.discount_percent,
    CheckoutTerms.valid_until,
    CheckoutTerms.fetched_at,
    CheckoutTerms.changed_at,
).where(
    CheckoutTerms.tenant_id == bindparam("tenant_id"),
    CheckoutTerms.member_id.in_([bindparam("member_id"), WHOLE_COMMUNITY]),
)


def discount_percent(session, tenant_id, member_id):
    """The member's tier discount if orders may still rely on what crm said, else ``None``."""
    rows = {
        row.member_id: row
        for row in session.execute(_TERMS_OF, {"tenant_id": tenant_id, "member_id": member_id})
    }
    terms = rows.get(member_id)
    if terms is None or terms.discount_percent is None or not utcnow() < terms.valid_until:
        return None
    changes = [row.changed_at for row in rows.values() if row.changed_at is not None]
    if changes and not terms.fetched_at > max(changes) + CLOCK_MARGIN:
        return None
    return terms.discount_percent


def local_checkout(subtotal_cents, percent):
    """What crm's ``apply_checkout`` answers for an order without coupon or points."""
    discount = subtotal_cents * percent // 100
    return {
        "discount_cents": discount,
        "total_cents": subtotal_cents - discount,
        "tier_discount_cents": discount,
        "coupon_id": None,
        "coupon_discount_cents": 0,
        "points_used": 0,
        "points_discount_cents": 0,
    }


def remember(session, tenant_id, member_id, answer, fetched_at):
    """Keep the ``terms`` of crm's checkout answer, unless newer ones are kept already. In the
    caller's transaction, under a savepoint: a concurrent order of the same member may insert
    them first, and that must not fail the order."""
    try:
        terms = load(TERMS, answer.get("terms"))
    except Invalid:
        return  # an older crm, or nothing to keep: the next order asks again
    try:
        with session.begin_nested():
            row = session.get(CheckoutTerms, (tenant_id, member_id))
            if row is None:
                row = CheckoutTerms(tenant_id=tenant_id, member_id=member_id)
                session.add(row)
            if row.fetched_at is None or row.fetched_at < fetched_at:
                row.discount_percent, row.valid_until = (
                    terms["discount_percent"],
                    terms["valid_until"],
                )
                row.fetched_at = fetched_at
    except IntegrityError:
        pass


@inbox_consumer("services.orders.checkout_terms:record_change")
def record_change(session, event):
    """``crm.checkout_terms_changed``: what orders kept of these terms no longer counts."""
    member_id = load(TERMS_CHANGED, event["data"])["member_id"] or WHOLE_COMMUNITY
    row = session.get(CheckoutTerms, (event["tenant_id"], member_id))
    if row is None:
        row = CheckoutTerms(tenant_id=event["tenant_id"], member_id=member_id)
        session.add(row)
    row.changed_at = utcnow()
