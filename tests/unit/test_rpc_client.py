"""``RpcClient.acting_as``: a worker calls for someone else without changing its own context."""

from types import SimpleNamespace

from services.infra.rpc import RpcClient


def test_acting_as_sends_another_context_with_the_same_deadline():
    worker_ctx = SimpleNamespace(
        data={
            "tenant_id": "t1",
            "member_id": "leader-of-batch",
            "role": "member",
            "deadline": "1700000004.5",
        }
    )
    client = RpcClient(worker_ctx, reply_listener=None, timeout=3)
    other = client.acting_as({"tenant_id": "t2", "member_id": "m2", "role": "member"})
    assert other.worker_ctx.data == {
        "tenant_id": "t2",
        "member_id": "m2",
        "role": "member",
        "deadline": 1700000004.5,
    }
    assert other.inherited_deadline == 1700000004.5 and other.timeout == 3
    # The worker's own context is untouched: nothing of the first member leaks to the second.
    assert worker_ctx.data["member_id"] == "leader-of-batch"
    assert "account_id" not in other.worker_ctx.data


def test_acting_as_without_a_deadline_adds_none():
    client = RpcClient(SimpleNamespace(data={"tenant_id": "t1"}), reply_listener=None, timeout=3)
    assert client.acting_as({"tenant_id": "t2", "role": "system"}).worker_ctx.data == {
        "tenant_id": "t2",
        "role": "system",
    }


def test_a_call_that_times_out_is_counted_by_the_called_service(monkeypatch):
    import eventlet
    import pytest
    from prometheus_client import REGISTRY

    from services.infra.errors import ServiceUnavailable

    class Silent:
        def result(self):
            eventlet.sleep(5)  # the answer never comes within the call's timeout

    def timeouts():
        return (
            REGISTRY.get_sample_value(
                "linli_rpc_timeouts_total", {"service": "orders", "target": "catalog"}
            )
            or 0
        )

    before = timeouts()
    monkeypatch.setattr(
        "services.infra.rpc.RequestProxy", lambda *args, **kwargs: None
    )  # no broker
    monkeypatch.setattr(RpcClient, "_send", lambda self, proxy, deadline, args, kwargs: Silent())
    client = RpcClient(
        SimpleNamespace(service_name="orders", data={}), reply_listener=None, timeout=0.1
    )
    with pytest.raises(ServiceUnavailable, match="did not answer in time"):
        client.call("catalog", "reserve_stocks", [])
    assert timeouts() == before + 1
