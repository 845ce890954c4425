"""The gateway's calls: it asks crm, once per request and before anything else, whether a staff
token's account still has access (a removed helper's tokens stop working at once); every call has
the request's budget."""

import pytest
from conftest import FakeRpc
from nameko.testing.services import worker_factory

from gateway.service import GatewayService
from services.infra.errors import Unauthorized


def FakeRemote(role, refuse=False):
    """The gateway's RPC client for a caller of ``role``; crm refuses staff access if ``refuse``."""

    def answer(service, method, *args, **kwargs):
        if method == "confirm_staff_access" and refuse:
            raise Unauthorized("Your access to this community was removed by its leader.")
        return {"service": service, "method": method}

    return FakeRpc({"role": role, "tenant_id": "t1", "account_id": "a1"}, answer)


def gateway(remote):
    return worker_factory(GatewayService, remote=remote, config={"RPC_TIMEOUT_SECONDS": 2})


def test_a_staff_request_is_confirmed_once_before_its_first_call():
    remote = FakeRemote("staff")
    service = gateway(remote)
    assert (
        service.call("fulfillment", "verify_pickup", {"code": "123456"})["method"]
        == "verify_pickup"
    )
    service.call("orders", "list_orders", {})
    assert remote.calls == [
        ("crm", "confirm_staff_access"),
        ("fulfillment", "verify_pickup"),
        ("orders", "list_orders"),
    ]


def test_a_removed_helper_s_request_goes_no_further():
    remote = FakeRemote("staff", refuse=True)
    with pytest.raises(Unauthorized):
        gateway(remote).call("fulfillment", "verify_pickup", {"code": "123456"})
    assert remote.calls == [("crm", "confirm_staff_access")]


@pytest.mark.parametrize("role", ["leader", "member", None])
def test_other_callers_are_not_asked_about(role):
    remote = FakeRemote(role)
    gateway(remote).call("orders", "list_orders", {})
    assert remote.calls == [("orders", "list_orders")]


def test_a_call_gets_what_is_left_of_the_request_s_budget():
    remote = FakeRemote("member")
    service = gateway(remote)
    service.call("orders", "list_orders", {})
    service.call("orders", "place_orders", [], waited=0.5)  # an order that waited for its batch
    assert remote.timeouts == [2, 1.5]


def test_confirm_access_asks_crm_for_staff_only():
    staff, member = FakeRemote("staff"), FakeRemote("member")
    gateway(staff).confirm_access()
    gateway(member).confirm_access()
    assert staff.calls == [("crm", "confirm_staff_access")] and member.calls == []
    with pytest.raises(Unauthorized):
        gateway(FakeRemote("staff", refuse=True)).confirm_access()
