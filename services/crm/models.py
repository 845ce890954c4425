"""crm's whole schema: the shared ``Base`` with every subpackage's tables registered on it.

Use cases import the models of their own subpackage (or a lower one); this module is for what
needs all of them at once: the migrations (``migrations/env.py``) and the tests' databases.
"""

from services.crm.accounts.models import Account, LoginAttempt
from services.crm.base import Base
from services.crm.community.models import Community, PeriodicClaim
from services.crm.engagement.models import (
    Campaign,
    CampaignRun,
    Post,
    Reminder,
    RepurchasePrediction,
)
from services.crm.loyalty.models import (
    Checkout,
    Coupon,
    IdempotencyKey,
    PointsEntry,
    Reward,
    RewardRedemption,
)
from services.crm.members.models import Member, MemberTag, ProductInfo, Purchase
from services.crm.notifications.models import Channel, Delivery, InboxMessage
from services.crm.operator.models import OperatorAudit

__all__ = [
    "Base",
    "Account",
    "LoginAttempt",
    "Community",
    "PeriodicClaim",
    "Campaign",
    "CampaignRun",
    "Post",
    "Reminder",
    "RepurchasePrediction",
    "Checkout",
    "Coupon",
    "IdempotencyKey",
    "PointsEntry",
    "Reward",
    "RewardRedemption",
    "Member",
    "MemberTag",
    "ProductInfo",
    "Purchase",
    "Channel",
    "Delivery",
    "InboxMessage",
    "OperatorAudit",
]
