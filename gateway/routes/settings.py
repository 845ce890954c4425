"""The community's settings: crm's (tiers, admission, guide, reminders, quiet hours) and the
referral program's rules (referral's), read and changed as one."""

from gateway.http import json_body, route
from gateway.routes.roles import LEADER, STAFF
from gateway.schemas import settings as schemas


class SettingsRoutes:
    @route(
        "GET",
        "/api/v1/community/settings",
        roles=STAFF,
        summary="The community's settings",
        tag="loyalty",
        response=schemas.CommunitySettings,
    )
    def get_settings(self, request):
        # The referral program's rules are referral's: composed here under "referral".
        return {
            **self.call("crm", "get_settings"),
            "referral": self.call("referral", "get_settings"),
        }

    @route(
        "PUT",
        "/api/v1/community/settings",
        roles=LEADER,
        summary="Change some settings (partial)",
        tag="loyalty",
        body=schemas.SettingsBody,
        response=schemas.CommunitySettings,
    )
    def update_settings(self, request):
        changes = json_body(request, schemas.SettingsBody)
        referral_changes = changes.pop("referral", None)
        # Both parts passed the HTTP schema above. crm goes first: its cross-field rules (tiers)
        # are checked only there, and a 422 from it leaves referral untouched; referral's rules
        # are all in the HTTP schema, so after crm's write only an outage can stop it (503).
        answer = self.call("crm", "update_settings", changes)
        if referral_changes:
            referral = self.call("referral", "update_settings", referral_changes)
        else:
            referral = self.call("referral", "get_settings")
        return {**answer, "referral": referral}
