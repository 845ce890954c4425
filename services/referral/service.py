"""Referral service (邀请裂变): thin nameko entrypoints over ``handlers``."""

from nameko.dependency_providers import Config
from nameko.events import event_handler

from services.infra import operations
from services.infra.context import CallerContext
from services.infra.db import Database
from services.infra.entrypoints import rpc
from services.infra.messaging import EventInbox
from services.referral import handlers


class ReferralService(operations.OperatorEntrypoints):
    name = "referral"

    db = Database()
    caller = CallerContext()
    inbox = EventInbox()
    config = Config()

    @rpc
    def get_my_referral(self):
        public_url = self.config.get("PUBLIC_URL", "http://127.0.0.1:8000")
        return handlers.get_my_referral(self.db, self.caller, public_url)

    @event_handler("crm", "member_joined")
    def on_member_joined(self, payload):
        self.inbox.consume(payload, handlers.record_member_joined)
