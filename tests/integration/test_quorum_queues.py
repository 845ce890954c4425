"""Quorum queues on the real broker: a deployment with classic queues migrates at bootstrap
without losing a message, and what a delivery limit takes out is kept for an operator."""

import time
from urllib.parse import quote, urlsplit

import requests
from conftest import bootstrap
from kombu import Connection, Exchange, Queue

from services.infra import queues

MANAGEMENT = "http://127.0.0.1:15672/api"
AUTH = ("guest", "guest")
EVENT_QUEUE = "evt-orders-order_paid--crm.on_order_paid"


def vhost_of(uri):
    return urlsplit(uri).path.lstrip("/") or "/"


def queue_info(uri, name):
    response = requests.get(
        f"{MANAGEMENT}/queues/{quote(vhost_of(uri), safe='')}/{quote(name, safe='')}",
        auth=AUTH,
        timeout=10,
    )
    return response.json() if response.status_code == 200 else None


def drain(connection, name):
    """Every message of the queue, acknowledged: (body, headers, selected properties)."""
    got = []
    with connection.channel() as channel:
        while (message := channel.basic_get(name, no_ack=True)) is not None:
            props = message.properties
            headers = {
                k: v
                for k, v in (props.get("application_headers") or {}).items()
                if not k.startswith("x-")
            }
            got.append(
                (
                    message.body,
                    headers,
                    props.get("correlation_id"),
                    props.get("reply_to"),
                    props.get("delivery_mode"),
                )
            )
    return got


def classic_deployment(connection):
    """The queues of crm as the previous version declared them (nameko's classic queues), with
    events and RPC requests waiting in them."""
    events = Exchange("orders.events", type="topic", durable=True)
    rpc = Exchange("nameko-rpc", type="topic", durable=True)
    with connection.channel() as channel:
        Queue(EVENT_QUEUE, exchange=events, routing_key="order_paid", durable=True)(
            channel
        ).declare()
        Queue("rpc-crm", exchange=rpc, routing_key="crm.*", durable=True)(channel).declare()
        producer = connection.Producer(channel)
        for index in range(1203):  # more than one batch of the move
            producer.publish(
                {"event_id": f"e-{index}"},
                exchange=events,
                routing_key="order_paid",
                headers={"nameko.tenant_id": f"t-{index % 7}"},
                delivery_mode=2,
            )
        for index in range(5):
            producer.publish(
                {"args": [index], "kwargs": {}},
                exchange=rpc,
                routing_key="crm.get_member",
                correlation_id=f"call-{index}",
                reply_to="rpc.reply-gateway-x",
                delivery_mode=1,
                expiration=600,
            )
    return events


def test_classic_queues_become_quorum_queues_with_every_message(rabbit_config):
    uri = rabbit_config["AMQP_URI"]
    with Connection(uri) as connection:
        events = classic_deployment(connection)
        expected_events = [
            (f'{{"event_id": "e-{i}"}}', {"nameko.tenant_id": f"t-{i % 7}"}, None, None, 2)
            for i in range(1203)
        ]
        assert queue_info(uri, EVENT_QUEUE)["type"] == "classic"

        bootstrap.declare_queues(uri, ["crm"])

        for name in (EVENT_QUEUE, "rpc-crm"):
            info = queue_info(uri, name)
            assert info["type"] == "quorum", info
            assert info["arguments"] == {
                "x-queue-type": "quorum",
                "x-delivery-limit": queues.DELIVERY_LIMIT,
                "x-dead-letter-exchange": queues.DEAD_LETTER_EXCHANGE,
            }
        assert queue_info(uri, EVENT_QUEUE + queues.HOLDING_SUFFIX) is None  # nothing left aside
        # The bindings came along: an event published now reaches the quorum queue too.
        with connection.channel() as channel:
            connection.Producer(channel).publish(
                {"event_id": "after"},
                exchange=events,
                routing_key="order_paid",
                headers={"nameko.tenant_id": "t-0"},
                delivery_mode=2,
            )
        got = drain(connection, EVENT_QUEUE)
        assert got == [
            *expected_events,
            ('{"event_id": "after"}', {"nameko.tenant_id": "t-0"}, None, None, 2),
        ]
        calls = drain(connection, "rpc-crm")
        assert [(c[2], c[3]) for c in calls] == [
            (f"call-{i}", "rpc.reply-gateway-x") for i in range(5)
        ]

        bootstrap.declare_queues(uri, ["crm"])  # again: nothing to migrate, nothing changes
        assert queue_info(uri, EVENT_QUEUE)["type"] == "quorum"


def test_a_migration_stopped_half_way_is_finished_by_the_next_run(rabbit_config):
    """Stopped after the classic queue was emptied and deleted: its messages wait in the
    holding queue, and the next bootstrap moves them into the quorum queue."""
    uri = rabbit_config["AMQP_URI"]
    with Connection(uri) as connection:
        queue = queues.event_queue("orders", "order_paid", "crm", "on_order_paid", {})
        with connection.channel() as channel:
            queues._holding(queue)(channel).declare()
            producer = connection.Producer(channel)
            for index in range(40):
                producer.publish(
                    {"event_id": f"e-{index}"}, exchange=queue.exchange, routing_key="order_paid"
                )
        assert queues.ensure_quorum(connection, queue) == "migrated"
        assert queue_info(uri, queue.name + queues.HOLDING_SUFFIX) is None
        assert [body for body, *_ in drain(connection, queue.name)] == [
            f'{{"event_id": "e-{i}"}}' for i in range(40)
        ]


def test_a_message_given_back_past_the_delivery_limit_waits_in_the_dead_letter_queue(rabbit_config):
    """A poison message (its consumer dies holding it, again and again) leaves the queue after
    the delivery limit and is kept; an expired RPC request (its caller gave up) is not."""
    uri = rabbit_config["AMQP_URI"]
    with Connection(uri) as connection:
        queue = queues.rpc_queue("crm", {})
        with connection.channel() as channel:
            queue(channel).declare()
            producer = connection.Producer(channel)
            producer.publish(
                {"args": ["expired"], "kwargs": {}},
                exchange=queue.exchange,
                routing_key="crm.get_member",
                expiration=0.05,
            )
            time.sleep(0.3)
            producer.publish(
                {"args": ["poison"], "kwargs": {}},
                exchange=queue.exchange,
                routing_key="crm.get_member",
            )
        deliveries = 0
        with connection.channel() as channel:
            while (message := channel.basic_get(queue.name, no_ack=False)) is not None:
                deliveries += 1
                channel.basic_reject(message.delivery_tag, requeue=True)
        assert deliveries == queues.DELIVERY_LIMIT + 1
        deadline = time.monotonic() + 10
        dead = []
        with connection.channel() as channel:  # dead-lettering is asynchronous: a moment
            while not dead and time.monotonic() < deadline:
                while (
                    message := channel.basic_get(queues.DEAD_LETTER_QUEUE, no_ack=True)
                ) is not None:
                    dead.append(message)
                time.sleep(0.2)
            time.sleep(0.5)  # the expired request would have arrived by now, had it been kept
            while (message := channel.basic_get(queues.DEAD_LETTER_QUEUE, no_ack=True)) is not None:
                dead.append(message)
        assert [m.body for m in dead] == ['{"args": ["poison"], "kwargs": {}}']
        headers = dead[0].properties["application_headers"]
        assert (headers["x-first-death-reason"], headers["x-first-death-queue"]) == (
            "delivery_limit",
            "rpc-crm",
        )
