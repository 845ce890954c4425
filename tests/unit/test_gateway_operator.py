"""The operator's console in the gateway: the operator's token (of no community, never a leader
or member), parked events gathered from every service, and each replay or discard audited."""

import time

import jwt
import pytest
from fakes import FakeGateway

from gateway.auth import AUDIENCE, ISSUER, Tokens, check_role
from gateway.routes.roles import ANYONE, LEADER, MEMBER, OPERATOR, STAFF
from services.infra.errors import Conflict, Forbidden, NotFound, Unauthorized

SECRET = "s" * 40
OPERATOR_IDENTITY = {
    "account_id": "operator",
    "tenant_id": None,
    "role": "operator",
    "community": None,
}


def test_an_operator_token_names_no_community_and_passes_only_as_operator():
    tokens = Tokens(SECRET, 3600)
    token = tokens.issue(OPERATOR_IDENTITY)
    assert "tid" not in jwt.decode(token, SECRET, algorithms=["HS256"], audience=AUDIENCE)
    caller = tokens.caller(f"Bearer {token}")
    assert (caller.role, caller.tenant_id, caller.member_id) == ("operator", None, None)
    check_role(caller, OPERATOR)
    for roles in (LEADER, STAFF, MEMBER, ANYONE):
        with pytest.raises(Forbidden):
            check_role(caller, roles)
    with pytest.raises(Unauthorized):  # services refuse it wherever a community is needed
        caller.require_tenant()


@pytest.mark.parametrize("extra", [{"tid": "tenant-a"}, {"mid": "member-1"}])
def test_an_operator_token_with_a_community_is_not_valid(extra):
    now = int(time.time())
    forged = jwt.encode(
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 60,
            "sub": "operator",
            "role": "operator",
            **extra,
        },
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(Unauthorized):
        Tokens(SECRET, 3600).caller(f"Bearer {forged}")


def test_a_leader_token_is_no_operator():
    tokens = Tokens(SECRET, 3600)
    leader = tokens.caller(
        "Bearer " + tokens.issue({"account_id": "a", "tenant_id": "t", "role": "leader"})
    )
    with pytest.raises(Forbidden):
        check_role(leader, OPERATOR)


def test_parked_events_of_every_service_even_with_one_down():
    def answer(service, method, *args):
        if service == "referral":
            raise TimeoutError("no answer")
        return [{"id": 1, "status": "parked"}] if service == "orders" else []

    listed = FakeGateway(answer)._parked_events_listing(None, None)
    assert listed == {
        "items": [{"service": "orders", "id": 1, "status": "parked"}],
        "unavailable": ["referral"],
    }


def audits(gateway):
    return [
        args[0] for service, method, *args in gateway.calls if method == "record_operator_action"
    ]


def test_a_replay_is_audited():
    gateway = FakeGateway(
        {
            ("orders", "replay_parked_event"): {"id": 7, "status": "retrying"},
            ("crm", "record_operator_action"): {"recorded": True},
        }
    )
    assert gateway._parked_action("replay", "replay_parked_event", "orders", "7") == {
        "service": "orders",
        "id": 7,
        "status": "retrying",
    }
    assert ("orders", "replay_parked_event", 7) in gateway.calls
    assert audits(gateway) == [
        {"action": "replay", "target": "orders/7", "outcome": "ok", "details": {}}
    ]


@pytest.mark.parametrize(
    ("service", "parked_id"), [("payments", "7"), ("orders", "x7"), ("orders", "-1")]
)
def test_an_unknown_service_or_id_is_404_and_audited(service, parked_id):
    gateway = FakeGateway({("crm", "record_operator_action"): {"recorded": True}})
    with pytest.raises(NotFound):
        gateway._parked_action("discard", "discard_parked_event", service, parked_id)
    assert [a["outcome"] for a in audits(gateway)] == ["refused"]
    assert all(
        method == "record_operator_action" for _, method, *_ in gateway.calls
    )  # no service asked


def test_a_refused_discard_is_audited_as_refused():
    gateway = FakeGateway(
        {
            ("crm", "discard_parked_event"): Conflict("not parked"),
            ("crm", "record_operator_action"): {"recorded": True},
        }
    )
    with pytest.raises(Conflict):
        gateway._parked_action("discard", "discard_parked_event", "crm", "3")
    assert (
        audits(gateway)[0]["outcome"] == "refused"
        and audits(gateway)[0]["details"]["status"] == 409
    )
