"""Two processes of every service (LINLI_SERVICE_PROCESSES=2): they share each RPC and event
queue as competing consumers, and the stock races hold as with one."""

import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from services.infra.topology import SERVICES

pytestmark = pytest.mark.e2e


def api(stack, method, path, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(
        method, f"{stack.url}/api/v1{path}", headers=headers, timeout=30, **kwargs
    )


def test_the_processes_of_a_service_consume_its_queues_together(stack_of_two):
    queues = [
        *(f"rpc-{name}" for name in SERVICES),
        "evt-orders-order_paid--crm.on_order_paid_loyalty",
        "evt-orders-order_cancelled--catalog.on_order_cancelled",
    ]
    deadline = time.monotonic() + 30  # the management API's figures lag by a few seconds
    while True:
        counts = {queue: stack_of_two.consumers(queue) for queue in queues}
        if set(counts.values()) == {2} or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert counts == dict.fromkeys(queues, 2)


def retried(send):
    """``send()`` again after a 503: signing up and joining hash a password (argon2, deliberately
    slow), which on a busy machine may outlast the gateway's deadline."""
    for _ in range(5):
        answer = send()
        if answer.status_code != 503:
            return answer
        time.sleep(1)
    return answer


def shop(stack, members):
    slug = f"scale-{uuid.uuid4().hex[:8]}"
    leader = {
        "community_name": "双进程团",
        "slug": slug,
        "phone": f"138{uuid.uuid4().int % 10**8:08d}",
        "password": "leader-secret-1",
        "display_name": "团长",
    }
    signup = retried(lambda: api(stack, "POST", "/leaders/signup", json=leader))
    if signup.status_code == 409:  # the first try's signup: log in
        signup = api(
            stack,
            "POST",
            "/auth/login",
            json={"phone": leader["phone"], "password": leader["password"]},
        )
    assert signup.status_code in (200, 201), signup.text

    def join(index):
        phone = f"139{uuid.uuid4().int % 10**8:08d}"
        joined = retried(
            lambda: api(
                stack,
                "POST",
                f"/communities/{slug}/join",
                json={
                    "phone": phone,
                    "password": "member-secret-1",
                    "name": f"邻居{index}",
                    "building": "1栋",
                    "unit": str(index),
                },
            )
        )
        if joined.status_code == 409:  # the first try's join: log in
            login = api(
                stack,
                "POST",
                "/auth/login",
                json={"phone": phone, "password": "member-secret-1", "community": slug},
            )
            assert login.status_code == 200, login.text
            token = login.json()["token"]
            return {"token": token, "member": api(stack, "GET", "/me", token).json()["member"]}
        assert joined.status_code == 201, joined.text
        return joined.json()

    with ThreadPoolExecutor(2) as pool:
        return signup.json()["token"], list(pool.map(join, range(members)))


@pytest.mark.parametrize("channel", ["shop", "live"])
def test_no_oversell(any_stack, channel):
    """30 members' orders at once for 10 units (shop: the stock; live: the item's quota, with a
    limit of 2 per member): exactly 10 are placed, whichever process took each."""
    stack = any_stack
    leader, members = shop(stack, 3 if channel == "shop" else 7)
    product = api(
        stack,
        "POST",
        "/products",
        leader,
        json={
            "name": "阳光玫瑰 1串",
            "price_cents": 3990,
            "stock": 10 if channel == "shop" else 100,
        },
    )
    assert product.status_code == 201, product.text
    product_id = product.json()["id"]
    order_channel = {"type": "shop"}
    if channel == "live":
        live = api(
            stack,
            "POST",
            "/live-sessions",
            leader,
            json={
                "title": "秒杀",
                "host_persona": "团长",
                "scheduled_at": datetime.now(UTC).isoformat(),
                "items": [
                    {
                        "product_id": product_id,
                        "live_price_cents": 990,
                        "quota": 10,
                        "per_member_limit": 2,
                    }
                ],
            },
        )
        assert live.status_code == 201, live.text
        assert (
            api(stack, "POST", f"/live-sessions/{live.json()['id']}/start", leader).status_code
            == 200
        )
        order_channel = {"type": "live", "id": live.json()["id"]}

    def place(index):
        member = members[index % len(members)]
        placed = api(
            stack,
            "POST",
            "/orders",
            member["token"],
            headers={"Idempotency-Key": f"race-{index}"},
            json={"items": [{"product_id": product_id, "quantity": 1}], "channel": order_channel},
        )
        return member["member"]["id"], placed.status_code, placed.json()

    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(place, range(30)))
    statuses = sorted(status for _, status, _ in results)
    assert statuses == [201] * 10 + [409] * 20, statuses
    stock = api(stack, "GET", f"/products/{product_id}", leader).json()["stock"]
    assert stock == (0 if channel == "shop" else 90)
    listed = api(stack, "GET", "/orders", leader, params={"limit": 50})
    assert listed.status_code == 200 and len(listed.json()["items"]) == 10
    if channel == "live":
        won = {}
        for member_id, status, _ in results:
            if status == 201:
                won[member_id] = won.get(member_id, 0) + 1
        assert max(won.values()) <= 2, won
        item = api(stack, "GET", f"/live-sessions/{order_channel['id']}", leader).json()["items"][0]
        assert (item["sold"], item["remaining"]) == (10, 0)


def service_pids(stack, service):
    return sorted(
        pid
        for pid in stack.children()
        if f"config/{service}.yaml".encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    )


def test_a_process_that_dies_is_started_again_on_its_own(stack_of_two):
    """make run's supervisor: kill -9 one of the two orders processes; the other carries on, the
    dead one is started again, and nothing else is restarted."""
    before = {name: service_pids(stack_of_two, name) for name in ("orders", "crm", "gateway")}
    assert len(before["orders"]) == 2
    os.kill(before["orders"][1], signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = service_pids(stack_of_two, "orders")
        if len(now) == 2 and now != before["orders"]:
            break
        time.sleep(0.5)
    assert len(now) == 2 and before["orders"][0] in now and before["orders"][1] not in now, (
        before,
        now,
    )
    assert {name: service_pids(stack_of_two, name) for name in ("crm", "gateway")} == {
        name: before[name] for name in ("crm", "gateway")
    }
    log = (stack_of_two.data_dir / "run.out").read_text(errors="replace")
    assert "exited with code -9; starting it again" in log
    while stack_of_two.consumers("rpc-orders") != 2 and time.monotonic() < deadline + 30:
        time.sleep(1)
    assert stack_of_two.consumers("rpc-orders") == 2
    leader, _ = shop(stack_of_two, 0)
    assert api(stack_of_two, "GET", "/orders", leader).status_code == 200
