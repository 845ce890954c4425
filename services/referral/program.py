"""The referral program's rules (推荐奖励规则): who is rewarded, and with how much.

Referral decides who is rewarded; crm issues what they get (coupons, points). One row per
community, defaults until the leader changes something.
"""

from services.infra.schemas import load
from services.referral.models import ReferralProgram
from services.referral.schemas import PROGRAM_INPUT

DEFAULTS = {
    "referrer_reward_cents": 2000,  # a 20-yuan coupon for the neighbour who invited
    "invitee_reward_cents": 2000,  # and one for the neighbour who joined
    "min_first_order_cents": 0,  # the invitee's first completed order must reach this
    "weekly_cap": 10,  # rewarded invitations per inviter per week
    "allow_same_household": False,  # reward an invitee of the inviter's building and unit?
    "showcase_points": 50,  # points for an approved purchase showcase (晒单)
}


def for_tenant(session, tenant_id):
    """The community's rules as a dict (defaults when the leader never set any)."""
    row = session.get(ReferralProgram, tenant_id)
    if row is None:
        return dict(DEFAULTS)
    return {key: getattr(row, key) for key in DEFAULTS}


def get_settings(session, caller):
    caller.require_staff()
    return for_tenant(session, caller.tenant_id)


def update_settings(session, caller, payload):
    """The leader changes some rules; the answer is the whole set. Bad input changes nothing."""
    caller.require_leader("Only the leader may change the referral program.")
    changes = load(PROGRAM_INPUT, payload)
    row = session.get(ReferralProgram, caller.tenant_id)
    if row is None:
        row = ReferralProgram(tenant_id=caller.tenant_id, **DEFAULTS)
        session.add(row)
    for key, value in changes.items():
        setattr(row, key, value)
    session.flush()
    return for_tenant(session, caller.tenant_id)
