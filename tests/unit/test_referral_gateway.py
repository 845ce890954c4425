"""The gateway's referral routes: /community/settings composes crm's and referral's settings;
posters come back as image/png."""

import base64
import json

import pytest
from conftest import FakeGateway
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.infra.errors import Invalid, invalid

CRM_SETTINGS = {"points_per_yuan": 1, "tiers": [], "max_points_ratio_percent": 50}
REFERRAL_SETTINGS = {"referrer_reward_cents": 2000, "weekly_cap": 10}


def request(body=None):
    return Request(
        EnvironBuilder(
            method="PUT",
            data=json.dumps(body) if body is not None else None,
            content_type="application/json",
        ).get_environ()
    )


@pytest.fixture
def gateway():
    return FakeGateway(
        {
            ("crm", "get_settings"): CRM_SETTINGS,
            ("crm", "update_settings"): lambda changes: {**CRM_SETTINGS, **changes},
            ("referral", "get_settings"): REFERRAL_SETTINGS,
            ("referral", "update_settings"): lambda changes: {**REFERRAL_SETTINGS, **changes},
        }
    )


def test_settings_show_the_referral_program_under_referral(gateway):
    assert gateway.get_settings(request()) == {**CRM_SETTINGS, "referral": REFERRAL_SETTINGS}


def test_a_put_sends_each_part_to_its_owner_crm_first(gateway):
    answer = gateway.update_settings(request({"points_per_yuan": 3, "referral": {"weekly_cap": 2}}))
    assert gateway.calls == [
        ("crm", "update_settings", {"points_per_yuan": 3}),
        ("referral", "update_settings", {"weekly_cap": 2}),
    ]
    assert answer == {
        **CRM_SETTINGS,
        "points_per_yuan": 3,
        "referral": {**REFERRAL_SETTINGS, "weekly_cap": 2},
    }


def test_a_bad_part_changes_nothing_anywhere(gateway):
    for body in (
        {"points_per_yuan": 3, "referral": {"weekly_cap": 0}},
        {"referral": {"allow_same_household": "yes"}},
        {"referral": {"bogus": 1}},
    ):
        with pytest.raises(Invalid):
            gateway.update_settings(request(body))
    assert gateway.calls == []
    gateway.answers[("crm", "update_settings")] = invalid({"tiers": ["out of order"]})
    with pytest.raises(Invalid):
        gateway.update_settings(
            request(
                {
                    "tiers": [{"name": "a", "min_spend_cents": 0, "discount_percent": 0}],
                    "referral": {"weekly_cap": 2},
                }
            )
        )
    assert [call[:2] for call in gateway.calls] == [("crm", "update_settings")]


def test_posters_are_served_as_png_images(gateway):
    png = b"\x89PNG\r\n\x1a\n-fake-"
    gateway.answers[("referral", "invite_poster")] = {
        "content_base64": base64.b64encode(png).decode(),
        "filename": "invite.png",
        "content_type": "image/png",
    }
    response = gateway.my_invite_poster(request())
    assert response.content_type == "image/png" and response.get_data() == png
    assert 'filename="invite.png"' in response.headers["Content-Disposition"]
