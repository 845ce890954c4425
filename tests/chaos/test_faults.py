"""Faults on real processes: nothing lost, nothing duplicated (``make chaos``).

Every scenario starts its own deployment, drives it through the gateway as clients do (retrying
5xx and timeouts with the same Idempotency-Key), injects its fault, prints its figures and ends
with the money invariants (tests/chaos/invariants.py). Bounded: each has a pytest timeout.
"""

import signal
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg2
import pytest
import requests
from clients import Client, community, expect
from conftest import AUTH, MANAGEMENT, PG_ADMIN_URL, PRIVATE_NODE
from invariants import check_money, points_balances, rows

pytestmark = pytest.mark.chaos


def eventually(check, timeout=60, interval=0.5):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def when(count, at_least):
    """Block until ``count()`` reaches ``at_least`` (the fault's trigger)."""
    eventually(lambda: count() >= at_least, timeout=300, interval=0.05)


def no_500(client):
    """A fault may make a service unavailable (503), never broken (500)."""
    broken = {
        status: n
        for status, n in client.statuses.items()
        if status != "error" and status >= 500 and status != 503
    }
    assert not broken, f"answers other than 503 among the 5xx: {broken}"


def reserved_keys(deployment):
    return {
        key
        for (key,) in rows(
            deployment,
            "catalog",
            "SELECT reservation_key FROM stock_reservations WHERE status = 'reserved'",
        )
    }


@pytest.mark.timeout(900)
def test_orders_killed_twice_during_1000_orders(deploy):
    """kill -9 orders twice mid-burst and restart it: exactly 1,000 orders, none twice, stock
    right."""
    deployment = deploy()
    client = Client(deployment.url)
    shop = community(client, members=20)
    stock = 5000
    product = expect(
        client.call(
            "POST",
            "/products",
            shop["leader"],
            json={"name": "散养鸡蛋 10枚", "price_cents": 990, "stock": stock},
        )
    )
    total, answers, lock = 1000, {}, threading.Lock()
    deadline = time.monotonic() + 420

    def place(index):
        member = shop["members"][index % len(shop["members"])]
        quantity = 1 + index % 3
        status, response, tries = client.until_definite(
            "POST",
            "/orders",
            member["token"],
            deadline=deadline,
            headers={"Idempotency-Key": f"chaos-order-{index}"},
            json={"items": [{"product_id": product["id"], "quantity": quantity}]},
        )
        with lock:
            answers[index] = (
                status,
                response.json()["id"] if status == 201 else None,
                tries,
                quantity,
            )

    started = time.monotonic()
    kills = []
    with ThreadPoolExecutor(32) as pool:
        futures = [pool.submit(place, index) for index in range(total)]
        # Down longer than the gateway's RPC timeout (clients get 503s and retry), then briefly
        # (requests wait in the queue and the new process answers them).
        for trigger, down in ((300, 8), (650, 1)):
            when(lambda: len(answers), trigger)
            deployment.kill("orders")
            kills.append(round(time.monotonic() - started, 1))
            time.sleep(down)
            deployment.start_service("orders")
        for future in futures:
            future.result()
    elapsed = time.monotonic() - started

    statuses = Counter(status for status, _, _, _ in answers.values())
    retried = sum(1 for _, _, tries, _ in answers.values() if tries > 1)
    print(
        f"[orders-kill] {total} orders in {elapsed:.1f} s, orders killed at {kills} s; "
        f"final answers {dict(statuses)}; {retried} orders needed a retry; "
        f"every answer seen {dict(client.statuses)}"
    )
    assert statuses == {201: total}
    ids = [order_id for _, order_id, _, _ in answers.values()]
    assert len(set(ids)) == total
    in_db = {order_id for (order_id,) in rows(deployment, "orders", "SELECT id FROM orders")}
    assert in_db == set(ids), (len(in_db), len(set(ids)))
    keys = rows(
        deployment,
        "orders",
        "SELECT key, order_id FROM idempotency_keys WHERE key LIKE 'chaos-order-%'",
    )
    assert len(keys) == total and {order_id for _, order_id in keys} == in_db
    ordered = sum(quantity for _, _, _, quantity in answers.values())
    # Stock: what is left plus what the orders hold is what there was, and only orders hold any.
    assert eventually(lambda: reserved_keys(deployment) == in_db, timeout=90)
    left = expect(client.call("GET", f"/products/{product['id']}", shop["leader"]))["stock"]
    print(f"[orders-kill] stock {stock} = {left} left + {ordered} ordered")
    assert left == stock - ordered

    # Money under the same fault: 100 orders paid in person, 60 of them refunded 1 yuan, each
    # call with its own key and retried, orders killed once in the middle: each refund once.
    leader = shop["leader"]
    paid, refunds = ids[:100], ids[:60]
    done = Counter()

    def pay(order_id):
        status, response, _ = client.until_definite(
            "POST",
            f"/orders/{order_id}/mark-paid",
            leader,
            headers={"Idempotency-Key": f"pay-{order_id}"},
        )
        assert status == 200, response is not None and response.text
        done["paid"] += 1

    def refund(order_id):
        status, response, _ = client.until_definite(
            "POST",
            f"/orders/{order_id}/refund",
            leader,
            headers={"Idempotency-Key": f"refund-{order_id}"},
            json={"amount_cents": 100, "reason": "少了一个"},
        )
        assert status == 200, response is not None and response.text
        done["refunded"] += 1

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(pay, paid))
        futures = [pool.submit(refund, order_id) for order_id in refunds]
        when(lambda: done["refunded"], 20)
        deployment.kill("orders")
        time.sleep(6)
        deployment.start_service("orders")
        for future in futures:
            future.result()
    refunded = rows(deployment, "orders", "SELECT order_id, amount_cents FROM refunds")
    print(
        f"[orders-kill] {len(paid)} orders paid, {len(refunded)} refunds of "
        f"{sum(a for _, a in refunded)} fen "
        f"(60 x 100 asked, orders killed during them); every answer seen {dict(client.statuses)}"
    )
    assert sorted(order_id for order_id, _ in refunded) == sorted(refunds)
    assert {amount for _, amount in refunded} == {100}
    no_500(client)
    check_money(deployment)


def deliver_and_pick_up(client, leader, orders, progressed):
    """The day's paid shop orders (one batch, by the default point) packed, delivered and
    ready; then every order picked up with its code (``progressed["picked_up"]`` counts them)."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()

    def whole_batch():
        status, response = client.call("GET", f"/batches?date={today}", leader)
        batches = response.json()["batches"] if status == 200 else []
        return batches[0] if batches and batches[0]["orders"] == len(orders) else None

    batch = eventually(whole_batch, timeout=120)
    assert batch, "fulfilment did not get every order_paid"
    for step in ("packed", "delivering", "ready_for_pickup"):
        status, response, _ = client.until_definite(
            "POST",
            "/batches/fulfillment",
            leader,
            json={"date": today, "pickup_point": batch["pickup_point"], "status": step},
        )
        assert status == 200, response is not None and response.text

    def pick_up(order):
        def code():
            status, response = client.call("GET", f"/orders/{order['id']}", leader)
            return status == 200 and (response.json().get("pickup") or {}).get("code")

        status, response, _ = client.until_definite(
            "POST", "/pickups/verify", leader, json={"code": eventually(code)}
        )
        assert status == 200, response is not None and response.text
        progressed["picked_up"] += 1

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(pick_up, orders))


def completed_and_earned(deployment, total):
    """Once orders has completed all ``total`` orders and crm's ledger has settled: (order ->
    total_cents, settled, the 'earned' entries, the points expected at 1 point per yuan)."""

    def all_completed():  # orders learns of each pickup by event
        found = rows(
            deployment, "orders", "SELECT id, total_cents FROM orders WHERE status = 'completed'"
        )
        return dict(found) if len(found) == total else None

    totals = eventually(all_completed, timeout=120, interval=1)
    assert totals, "orders did not complete every order picked up"
    expected = sum(cents // 100 for cents in totals.values())  # 1 point per yuan (the default)

    def ledger_settled():
        return sum(points_balances(deployment).values()) == expected

    settled = eventually(ledger_settled, timeout=120, interval=1)
    earned = rows(
        deployment, "crm", "SELECT order_id, delta FROM points_entries WHERE kind = 'earned'"
    )
    return totals, settled, earned, expected


@pytest.mark.timeout(900)
def test_crm_killed_while_orders_are_paid_and_completed(deploy):
    """kill -9 crm (and with it its outbox relay and inbox) three times while 400 orders are paid
    and completed: every order earns its points exactly once."""
    deployment = deploy()
    client = Client(deployment.url)
    shop = community(client, members=10)
    product = expect(
        client.call(
            "POST",
            "/products",
            shop["leader"],
            json={"name": "五常大米 5kg", "price_cents": 4990, "stock": 10000},
        )
    )
    total = 400
    # Each member's first order uses a coupon of 5 yuan: redeemed once when paid, never twice.
    coupons = [
        expect(
            client.call(
                "POST",
                f"/members/{member['member_id']}/coupons",
                shop["leader"],
                json={"kind": "fixed", "amount_cents": 500, "valid_days": 30},
            )
        )["id"]
        for member in shop["members"]
    ]
    orders = []
    with ThreadPoolExecutor(16) as pool:

        def place(index):
            member = shop["members"][index % len(shop["members"])]
            coupon = {"coupon_id": coupons[index]} if index < len(coupons) else {}
            status, response, _ = client.until_definite(
                "POST",
                "/orders",
                member["token"],
                headers={"Idempotency-Key": f"crm-chaos-{index}"},
                json={
                    "items": [{"product_id": product["id"], "quantity": 1 + index % 2}],
                    **coupon,
                },
            )
            assert status == 201, response is not None and response.text
            return response.json()

        orders = list(pool.map(place, range(total)))
    leader = shop["leader"]
    progressed = Counter()

    def pay_and_complete(order):
        key = {"headers": {"Idempotency-Key": f"pay-{order['id']}"}}
        status, response, _ = client.until_definite(
            "POST", f"/orders/{order['id']}/mark-paid", leader, **key
        )
        assert status == 200, response is not None and response.text
        progressed["paid"] += 1
        return order["id"]

    started = time.monotonic()
    kills = []

    def killer():
        for trigger in (150, total + 100, total + 250):  # twice while orders are picked up
            when(lambda: progressed["paid"] + progressed["picked_up"], trigger)
            deployment.kill("crm")
            kills.append(round(time.monotonic() - started, 1))
            time.sleep(3)
            deployment.start_service("crm")

    chaos = threading.Thread(target=killer, daemon=True)
    chaos.start()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(pay_and_complete, orders))
    deliver_and_pick_up(client, leader, orders, progressed)
    chaos.join(timeout=60)
    assert len(kills) == 3, kills
    totals, settled, earned, expected = completed_and_earned(deployment, total)
    print(
        f"[crm-kill] {total} orders paid and picked up in {time.monotonic() - started:.1f} s, "
        f"crm killed at {kills} s; {len(totals)} completed; {len(earned)} 'earned' entries, "
        f"points {sum(d for _, d in earned)} "
        f"(expected {expected}); answers {dict(client.statuses)}"
    )
    assert len(totals) == total
    assert settled, (sum(points_balances(deployment).values()), expected)
    assert sorted(order_id for order_id, _ in earned) == sorted(totals)
    assert all(delta == totals[order_id] // 100 for order_id, delta in earned)
    no_500(client)
    assert check_money(deployment)["coupons_redeemed"] == len(coupons)


@pytest.mark.timeout(900)
def test_one_of_two_orders_and_one_of_two_crm_processes_killed_mid_burst(deploy):
    """Two orders processes and two crm processes (LINLI_ORDERS_PROCESSES=2, LINLI_CRM_PROCESSES=2):
    ``kill -9`` of one of each while 400 orders are placed and paid. The survivors carry on (what
    the dead ones held unacknowledged the broker gives to them): exactly the 400 orders asked
    for, each paid once, and, once picked up, each earns its points once."""
    deployment = deploy(env={"LINLI_ORDERS_PROCESSES": "2", "LINLI_CRM_PROCESSES": "2"})
    assert {"orders", "orders-2", "crm", "crm-2"} <= set(deployment.processes)
    client = Client(deployment.url)
    shop = community(client, members=16)
    leader = shop["leader"]
    product = expect(
        client.call(
            "POST",
            "/products",
            leader,
            json={"name": "东北大米 10kg", "price_cents": 5990, "stock": 10000},
        )
    )
    total, answers, lock = 400, {}, threading.Lock()
    deadline = time.monotonic() + 420

    def place_and_pay(index):
        member = shop["members"][index % len(shop["members"])]
        status, response, tries = client.until_definite(
            "POST",
            "/orders",
            member["token"],
            deadline=deadline,
            headers={"Idempotency-Key": f"two-{index}"},
            json={"items": [{"product_id": product["id"], "quantity": 1 + index % 2}]},
        )
        assert status == 201, response is not None and response.text
        order = response.json()
        paid, response, _ = client.until_definite(
            "POST",
            f"/orders/{order['id']}/mark-paid",
            leader,
            deadline=deadline,
            headers={"Idempotency-Key": f"pay-{order['id']}"},
        )
        assert paid == 200, response is not None and response.text
        with lock:
            answers[index] = (order, tries)

    started = time.monotonic()
    with ThreadPoolExecutor(32) as pool:
        futures = [pool.submit(place_and_pay, index) for index in range(total)]
        when(lambda: len(answers), 150)
        deployment.kill("orders-2")
        deployment.kill("crm-2")
        killed_at = round(time.monotonic() - started, 1)
        for future in futures:
            future.result()
    elapsed = time.monotonic() - started
    orders = [order for order, _ in answers.values()]
    retried = sum(1 for _, tries in answers.values() if tries > 1)
    print(
        f"[two-processes] {total} orders placed and paid in {elapsed:.1f} s; "
        f"orders-2 and crm-2 killed at {killed_at} s; {retried} orders needed a retry; "
        f"every answer seen {dict(client.statuses)}"
    )
    ids = {order["id"] for order in orders}
    assert len(ids) == total
    in_db = dict(rows(deployment, "orders", "SELECT id, status FROM orders"))
    assert set(in_db) == ids and set(in_db.values()) == {"paid"}, Counter(in_db.values())
    keys = rows(
        deployment, "orders", "SELECT key, order_id FROM idempotency_keys WHERE key LIKE 'two-%'"
    )
    assert len(keys) == total and {order_id for _, order_id in keys} == ids
    payments = Counter(
        order_id
        for (order_id,) in rows(
            deployment, "orders", "SELECT order_id FROM payments WHERE status = 'succeeded'"
        )
    )
    assert set(payments) == ids and set(payments.values()) == {1}

    progressed = Counter()
    deliver_and_pick_up(client, leader, orders, progressed)
    totals, settled, earned, expected = completed_and_earned(deployment, total)
    print(
        f"[two-processes] {len(totals)} completed; {len(earned)} 'earned' entries, points "
        f"{sum(d for _, d in earned)} (expected {expected}); answers {dict(client.statuses)}"
    )
    assert settled, (sum(points_balances(deployment).values()), expected)
    assert sorted(order_id for order_id, _ in earned) == sorted(totals)
    assert all(delta == totals[order_id] // 100 for order_id, delta in earned)
    no_500(client)
    check_money(deployment)


def other_connections(vhost):
    if PRIVATE_NODE:
        return []  # a node of the scenario's own
    connections = requests.get(f"{MANAGEMENT}/connections", auth=AUTH, timeout=10).json()
    return [c for c in connections if c.get("vhost") != vhost]


def rabbitmqctl(*args):
    node = ["-n", PRIVATE_NODE] if PRIVATE_NODE else []
    subprocess.run(["rabbitmqctl", *node, *args], check=True, capture_output=True, timeout=120)


@pytest.mark.timeout(900)
def test_rabbitmq_restarted_during_a_flash_sale(deploy, vhost):
    """stop_app/start_app of this machine's broker while 1,000 buyers race for 100 units."""
    if others := other_connections(vhost):
        pytest.skip(
            f"{len(others)} connections of other tests use this broker: "
            "restarting it would break them"
        )
    deployment = deploy()
    client = Client(deployment.url)
    shop = community(client, members=1000, workers=6)
    product = expect(
        client.call(
            "POST",
            "/products",
            shop["leader"],
            json={"name": "阳光玫瑰 1串", "price_cents": 3990, "stock": 500},
        )
    )
    live = expect(
        client.call(
            "POST",
            "/live-sessions",
            shop["leader"],
            json={
                "title": "秒杀",
                "host_persona": "团长",
                "scheduled_at": (datetime.now(UTC) + timedelta(minutes=5)).isoformat(),
                "items": [
                    {
                        "product_id": product["id"],
                        "live_price_cents": 990,
                        "quota": 100,
                        "per_member_limit": 1,
                    }
                ],
            },
        )
    )
    expect(client.call("POST", f"/live-sessions/{live['id']}/start", shop["leader"]))
    answers, lock = {}, threading.Lock()
    deadline = time.monotonic() + 300
    body = {
        "items": [{"product_id": product["id"], "quantity": 1}],
        "channel": {"type": "live", "id": live["id"]},
    }

    def buy(index):
        member = shop["members"][index]
        status, response, tries = client.until_definite(
            "POST",
            "/orders",
            member["token"],
            deadline=deadline,
            headers={"Idempotency-Key": f"flash-{index}"},
            json=body,
        )
        with lock:
            answers[index] = (status, tries)

    started = time.monotonic()
    with ThreadPoolExecutor(64) as pool:
        futures = [pool.submit(buy, index) for index in range(1000)]
        when(lambda: len(answers), 40)
        if others := other_connections(vhost):  # the members took minutes to join: look again
            deadline = 0  # let the buyers finish quickly
            pytest.skip(
                f"{len(others)} connections of other tests use this broker: not restarting it"
            )
        rabbitmqctl("stop_app")
        stopped = time.monotonic() - started
        time.sleep(3)
        rabbitmqctl("start_app")
        restarted = time.monotonic() - started
        for future in futures:
            future.result()
    statuses = Counter(status for status, _ in answers.values())
    print(
        f"[rabbit-restart] broker stopped at {stopped:.1f} s, back at {restarted:.1f} s; "
        f"1000 buyers answered in {time.monotonic() - started:.1f} s: {dict(statuses)}; "
        f"every answer seen {dict(client.statuses)}"
    )
    assert set(statuses) <= {201, 409}, (
        statuses
    )  # sold, or sold out: nobody is left without an answer
    assert statuses[201] == 100
    item = expect(client.call("GET", f"/live-sessions/{live['id']}", shop["leader"]))["items"][0]
    left = expect(client.call("GET", f"/products/{product['id']}", shop["leader"]))["stock"]
    print(
        f"[rabbit-restart] live item sold {item.get('sold')}, "
        f"remaining {item.get('remaining')}; stock {left}"
    )
    assert left == 400 and left >= 0
    orders = rows(deployment, "orders", "SELECT count(*) FROM orders")[0][0]
    assert orders == 100
    # The services reconnected by themselves: the same processes, every one answers /health.
    deployment.wait_healthy(timeout=60)
    assert all(process.poll() is None for process in deployment.processes.values())
    no_500(client)
    check_money(deployment)


@pytest.mark.timeout(600)
def test_catalog_down_for_a_minute(deploy):
    """The long version of tests/integration/test_availability.py: catalog is stopped for a
    minute while members keep ordering; each gets a 503 within 5 s, and none of the calls the
    gateway gave up on runs once catalog is back."""
    deployment = deploy()
    client = Client(deployment.url, timeout=15)
    shop = community(client, members=4)
    product = expect(
        client.call(
            "POST",
            "/products",
            shop["leader"],
            json={"name": "土豆 2斤", "price_cents": 590, "stock": 100},
        )
    )
    deployment.kill("catalog", signal.SIGTERM)  # stopped cleanly: its RPC queue stays
    latencies, statuses = [], Counter()
    started = time.monotonic()
    index = 0
    while time.monotonic() - started < 60:
        member = shop["members"][index % 4]
        began = time.monotonic()
        status, response = client.call(
            "POST",
            "/orders",
            member["token"],
            headers={"Idempotency-Key": f"down-{index}"},
            json={"items": [{"product_id": product["id"], "quantity": 1}]},
        )
        latencies.append(time.monotonic() - began)
        statuses[status] += 1
        index += 1
    print(
        f"[catalog-down] {index} orders tried in 60 s while catalog was down: {dict(statuses)}; "
        f"slowest answer {max(latencies):.2f} s"
    )
    assert statuses == {503: index}
    assert max(latencies) < 5
    deployment.start_service("catalog")
    deployment.wait_healthy(timeout=60)
    time.sleep(5)  # whatever was still queued for catalog would have run by now
    left = expect(client.call("GET", f"/products/{product['id']}", shop["leader"]))["stock"]
    orders = rows(deployment, "orders", "SELECT count(*) FROM orders")[0][0]
    reserved = len(reserved_keys(deployment))
    print(
        f"[catalog-down] after catalog came back: stock {left}, orders {orders}, "
        f"reservations {reserved}"
    )
    assert (left, orders, reserved) == (100, 0, 0)
    status, response, _ = client.until_definite(
        "POST",
        "/orders",
        shop["members"][0]["token"],
        json={"items": [{"product_id": product["id"], "quantity": 1}]},
    )
    assert status == 201, response is not None and response.text
    no_500(client)
    check_money(deployment)


def other_postgres_clients():
    connection = psycopg2.connect(PG_ADMIN_URL)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                "AND pid <> pg_backend_pid() AND datname NOT LIKE 'linli_chaos_%'"
            )
            return cursor.fetchone()[0]
    finally:
        connection.close()


@pytest.mark.timeout(900)
def test_postgresql_restarted_mid_load(deploy):
    """`pg_ctlcluster 15 main restart` while orders are placed on PostgreSQL: every order that
    got a 2xx exists afterwards (and those that got a 5xx were retried to a definite answer)."""
    if others := other_postgres_clients():
        pytest.skip(
            f"{others} PostgreSQL sessions of other tests: restarting the cluster would break them"
        )
    deployment = deploy(postgres=True)
    client = Client(deployment.url)
    shop = community(client, members=10)
    product = expect(
        client.call(
            "POST",
            "/products",
            shop["leader"],
            json={"name": "番茄 1斤", "price_cents": 450, "stock": 100000},
        )
    )
    total, answers, first, lock = 600, {}, {}, threading.Lock()
    deadline = time.monotonic() + 300

    def place(index):
        member = shop["members"][index % len(shop["members"])]
        kwargs = {
            "headers": {"Idempotency-Key": f"pg-{index}"},
            "json": {"items": [{"product_id": product["id"], "quantity": 1}]},
        }
        status, response = client.call("POST", "/orders", member["token"], **kwargs)
        with lock:
            first[index] = status
        if status == 201:
            answers[index] = response.json()["id"]
            return
        status, response, _ = client.until_definite(
            "POST", "/orders", member["token"], deadline=deadline, **kwargs
        )
        if status == 201:
            with lock:
                answers[index] = response.json()["id"]

    started = time.monotonic()
    with ThreadPoolExecutor(24) as pool:
        futures = [pool.submit(place, index) for index in range(total)]
        when(lambda: len(first), 200)
        subprocess.run(
            ["pg_ctlcluster", "15", "main", "restart"], check=True, capture_output=True, timeout=120
        )
        restarted = time.monotonic() - started
        for future in futures:
            future.result()
    in_db = {order_id for (order_id,) in rows(deployment, "orders", "SELECT id FROM orders")}
    firsts = Counter(first.values())
    print(
        f"[pg-restart] PostgreSQL restarted at {restarted:.1f} s; {total} orders: "
        f"first answers {dict(firsts)}, "
        f"{len(answers)} got a 201 in the end; {len(in_db)} orders in the database; "
        f"every answer seen {dict(client.statuses)}"
    )
    missing = set(answers.values()) - in_db
    assert not missing, f"orders answered 201 that do not exist: {sorted(missing)[:10]}"
    assert len(answers) == total and in_db == set(answers.values())
    deployment.wait_healthy(timeout=60)
    no_500(client)
    check_money(deployment)
