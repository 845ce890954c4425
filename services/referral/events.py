"""Events referral publishes, and tolerant schemas of the events it consumes.

Published (through the outbox):

* ``referral_rewarded`` {referral_id, referrer_id, invitee_id, referrer_reward_cents,
  invitee_reward_cents, order_id}: the invitee's first completed order earned both sides their
  reward; crm issues the coupons. Once per referral.
* ``referral_reward_revoked`` {referral_id, referrer_id, invitee_id, order_id, reason,
  referrer_reward_cents, invitee_reward_cents}: that order was refunded within the after-sale
  window; crm takes back the coupons still unused. Once.
* ``showcase_approved`` {showcase_id, member_id, order_id, points}: the leader approved a
  purchase showcase (晒单); crm awards the points. Once per showcase (and one showcase per order).
"""

from marshmallow import fields

from services.infra.schemas import TolerantSchema

REFERRAL_REWARDED = "referral_rewarded"
REFERRAL_REWARD_REVOKED = "referral_reward_revoked"
SHOWCASE_APPROVED = "showcase_approved"


class MemberJoinedData(TolerantSchema):
    member_id = fields.String(required=True)
    community_slug = fields.String(required=True)
    status = fields.String(required=True)
    invite_code = fields.String(load_default=None, allow_none=True)
    name = fields.String(load_default="")
    building = fields.String(load_default="")
    unit = fields.String(load_default="")


class CommunityCreatedData(TolerantSchema):
    community_id = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    timezone = fields.String(load_default=None, allow_none=True)


class OrderData(TolerantSchema):
    """``orders.order_placed|paid|completed|cancelled|refunded``: what referral keeps."""

    order_id = fields.String(required=True)
    member_id = fields.String(required=True)
    total_cents = fields.Integer(required=True)
    completed_at = fields.AwareDateTime(load_default=None, allow_none=True)
    refunded_total_cents = fields.Integer(load_default=0)
    whole = fields.Boolean(load_default=False)
