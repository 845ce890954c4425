"""Community settings (社区设置): what the leader tunes, kept in ``Community.settings`` (JSON).

Each key is a section with a default and a validating field in ``schemas.SettingsInput``.
``PUT`` is a partial update of known keys: a key this service does not know is refused (422), a
bad value changes nothing. To add a section (admission, welcome_guide, referral rewards...), add
its default to ``DEFAULTS`` and its field (with any cross-field rule) to
``schemas.SettingsInput``.

Loyalty's keys:

* ``points_per_yuan``: points earned per yuan paid on a completed order (0..100).
* ``tiers``: member tiers (会员等级) by trailing 365-day spend, each with a checkout discount.
* ``max_points_ratio_percent``: the largest share of an order (after tier and coupon) that
  points may pay.
* ``points_value`` (read-only): 100 points are worth 1 yuan, i.e. 1 point = 1 fen.

Admission (准入) and the welcome (信任引流):

* ``admission``: ``mode`` open (active at once) | approval (every join waits for the leader) |
  invite_or_approval (active with a valid invite code, else waits); ``allowed_buildings``
  (residents only; empty = any building).
* ``welcome_guide``: the new-member guide (新人指南) each member finds in the inbox once, when
  they become active.

Automation (提醒与自动化营销):

* ``reminder_hour``: the hour (0..23, community time) at which repurchase reminders go out, the
  day before a predicted due date.
* ``quiet_hours``: ``{start, end}`` ("HH:MM", community time; may wrap midnight; start == end:
  none) during which nothing automated is sent; what was due waits for the end.
"""

import copy

from services.crm import events
from services.crm.community.models import Community
from services.crm.community.schemas import SETTINGS_INPUT
from services.infra.errors import NotFound
from services.infra.messaging import emit
from services.infra.schemas import load

POINTS_PER_YUAN_VALUE = 100  # points that are worth one yuan: 1 point = 1 fen, fixed

DEFAULTS = {
    "points_per_yuan": 1,
    "tiers": [
        {"name": "普通", "min_spend_cents": 0, "discount_percent": 0},
        {"name": "银卡", "min_spend_cents": 50_000, "discount_percent": 2},
        {"name": "金卡", "min_spend_cents": 200_000, "discount_percent": 5},
    ],
    "max_points_ratio_percent": 50,
    "admission": {"mode": "open", "allowed_buildings": []},
    "welcome_guide": "",
    "reminder_hour": 10,
    "quiet_hours": {"start": "21:00", "end": "08:00"},
}
READ_ONLY = {"points_value": {"points": POINTS_PER_YUAN_VALUE, "cents": 100}}


def effective(community):
    """The community's settings with defaults for whatever the leader has not set."""
    stored = community.settings or {}
    merged = copy.deepcopy(DEFAULTS)
    merged.update({key: copy.deepcopy(value) for key, value in stored.items()})
    return merged


def community_of(session, tenant_id):
    community = session.get(Community, tenant_id) if isinstance(tenant_id, str) else None
    if community is None:
        raise NotFound("No such community.")
    return community


def community_timezone(session, tenant_id):
    """The community's clock (an IANA name); Asia/Shanghai, the column's default, if it is gone."""
    community = session.get(Community, tenant_id)
    return community.timezone if community is not None else "Asia/Shanghai"


def for_tenant(session, tenant_id):
    return effective(community_of(session, tenant_id))


def _view(community):
    return {**effective(community), **READ_ONLY}


def get_settings(session, caller):
    caller.require_staff()
    return _view(community_of(session, caller.tenant_id))


def update_settings(session, caller, payload):
    """The leader changes some settings; the answer is the whole set."""
    caller.require_leader("Only the leader may change the community's settings.")
    changes = load(SETTINGS_INPUT, payload)
    community = community_of(session, caller.tenant_id)
    # A new dict: the JSON column notices replacement, not in-place mutation.
    community.settings = {**(community.settings or {}), **changes}
    session.flush()
    if "tiers" in changes:  # every member's tier discount may differ now
        emit(
            session,
            events.CHECKOUT_TERMS_CHANGED,
            {"member_id": None},
            tenant_id=community.id,
            correlation_id=caller.correlation_id,
        )
    return _view(community)


def _minutes(clock):
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def in_quiet_hours(quiet_hours, local_moment):
    """Whether a community-time moment falls in the quiet hours (start inclusive, end not)."""
    start, end = _minutes(quiet_hours["start"]), _minutes(quiet_hours["end"])
    now = local_moment.hour * 60 + local_moment.minute
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end
