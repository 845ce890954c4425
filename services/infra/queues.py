"""Quorum queues for RPC requests and events, a dead-letter queue, and the move to them.

nameko 2.14 declares its queues without arguments, so they are classic queues, which a RabbitMQ
cluster does not replicate (classic mirrored queues are gone in RabbitMQ 4). Every queue whose
messages must survive a broker node, the RPC queue ``rpc-<service>`` and each service-pool
``@event_handler``'s ``evt-<source>-<event>--<service>.<method>``, is declared here as a quorum
queue (``x-queue-type: quorum``) with

* ``x-delivery-limit`` (``DELIVERY_LIMIT``): a message given back that many times (its consumer
  died holding it, again and again: a poison message that kills a process) is taken out of the
  queue instead of going round for ever;
* ``x-dead-letter-exchange`` (``DEAD_LETTER_EXCHANGE``, a headers exchange): what a delivery
  limit or a rejection took out lands in the quorum queue ``DEAD_LETTER_QUEUE`` for an operator
  to inspect (its ``x-first-death-queue`` header names where it came from). RPC requests that
  expired (the caller gave up, its call timed out) are dead-lettered by the broker too, and
  deliberately dropped there: no binding matches ``x-first-death-reason: expired``.

Broadcast queues (the live room's queue per gateway process) and RPC reply queues stay classic:
they belong to one process and die with it.

A queue of the same name that exists as a classic queue (a deployment from before) cannot be
redeclared with other arguments (the broker answers 406 PRECONDITION_FAILED): ``ensure_quorum``
then moves its messages to a holding queue, deletes it, declares the quorum queue with the same
bindings and moves them back (deploy/bootstrap.py does it for every queue before services start).
"""

import logging

from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Exchange, Queue, binding
from nameko.events import get_event_exchange
from nameko.rpc import RPC_QUEUE_TEMPLATE, get_rpc_exchange

log = logging.getLogger(__name__)

DELIVERY_LIMIT = 5
DEAD_LETTER_EXCHANGE = "linli.dead-letters"
DEAD_LETTER_QUEUE = "linli.dead-letters"
KEPT_DEATH_REASONS = ("delivery_limit", "rejected")
HOLDING_SUFFIX = ".migrating"
MOVE_BATCH = 500


def quorum_arguments():
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": DELIVERY_LIMIT,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
    }


def dead_letter_queue():
    exchange = Exchange(DEAD_LETTER_EXCHANGE, type="headers", durable=True)
    return Queue(
        DEAD_LETTER_QUEUE,
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
        bindings=[
            # "all-with-x": plain "all" ignores headers that begin with x- (and so would match
            # anything)
            binding(exchange, arguments={"x-match": "all-with-x", "x-first-death-reason": reason})
            for reason in KEPT_DEATH_REASONS
        ],
    )


class QuorumQueue(Queue):
    """A durable quorum queue; declaring it declares the dead-letter exchange and queue first
    (a message dead-lettered to an exchange that does not exist is dropped)."""

    def declare(self, nowait=False, channel=None):
        dead_letter_queue()(channel or self.channel).declare()
        return super().declare(nowait=nowait, channel=channel)


def quorum_queue(name, exchange, routing_key):
    return QuorumQueue(
        name,
        exchange=exchange,
        routing_key=routing_key,
        durable=True,
        queue_arguments=quorum_arguments(),
    )


def rpc_queue(service_name, config):
    """The queue of a service's RPC requests (nameko's name and binding)."""
    return quorum_queue(
        RPC_QUEUE_TEMPLATE.format(service_name), get_rpc_exchange(config), f"{service_name}.*"
    )


def event_queue(source, event_type, service_name, method_name, config):
    """The queue of a service-pool ``@event_handler`` (nameko's name and binding)."""
    return quorum_queue(
        f"evt-{source}-{event_type}--{service_name}.{method_name}",
        get_event_exchange(source, config),
        event_type,
    )


class MigrationRefused(Exception):
    """A classic queue that still has consumers: stop them first (the migration deletes it)."""


def ensure_quorum(connection, queue):
    """Declare ``queue`` (a ``QuorumQueue``), replacing a classic queue of that name without
    losing a message. Returns ``"declared"`` or ``"migrated"``."""
    try:
        _declare(connection, queue)
    except PreconditionFailed:  # its arguments differ: a classic queue of that name
        migrate(connection, queue)
        return "migrated"
    if _exists(connection, queue.name + HOLDING_SUFFIX):  # a migration stopped half-way
        _finish(connection, queue)
        return "migrated"
    return "declared"


def migrate(connection, queue):
    """Classic ``queue`` -> quorum, its messages kept. New messages reach the holding queue
    while the classic one is emptied, so none is lost; for a moment both queues are bound, so a
    message published then may arrive twice (consumers' inboxes skip a duplicate)."""
    holding = _holding(queue)
    with connection.channel() as channel:
        _, ready, consumers = channel.queue_declare(queue.name, passive=True)
        if consumers:
            raise MigrationRefused(
                f"the classic queue {queue.name} has {consumers} consumers: stop them "
                "(the services of the previous version) and run the migration again"
            )
        holding(channel).declare()
        channel.queue_unbind(queue.name, queue.exchange.name, queue.routing_key)
    moved = move(connection, queue.name, holding.name)
    with connection.channel() as channel:
        channel.queue_delete(queue.name, if_unused=True, if_empty=True)
    log.info(
        "moved %s messages of the classic queue %s aside (%s were ready)", moved, queue.name, ready
    )
    _finish(connection, queue)


def _finish(connection, queue):
    """The quorum queue declared and bound; the holding queue's messages moved into it."""
    holding = _holding(queue)
    _declare(connection, queue)
    with connection.channel() as channel:
        channel.queue_unbind(holding.name, queue.exchange.name, queue.routing_key)
    moved = move(connection, holding.name, queue.name)
    with connection.channel() as channel:
        # Quorum queues refuse delete's if-unused flag: the holding queue is checked first
        # (nobody consumes it, and nothing is published to it once unbound).
        _, left, _ = channel.queue_declare(holding.name, passive=True)
        if left:
            raise RuntimeError(
                f"{left} messages arrived in {holding.name} while it was emptied; run again"
            )
        channel.queue_delete(holding.name)
    log.info("%s is a quorum queue now, with the %s messages it held", queue.name, moved)


def move(connection, source, target):
    """Every message of ``source`` into ``target`` (through the default exchange), body, headers
    and properties as they were. A batch is acknowledged in ``source`` only once the broker
    has committed it to ``target`` (an AMQP transaction): a crash in between leaves a message in
    both, never in neither."""
    moved = 0
    with connection.channel() as getter, connection.channel() as publisher:
        publisher.tx_select()
        while True:
            batch = []
            while (
                len(batch) < MOVE_BATCH
                and (message := getter.basic_get(source, no_ack=False)) is not None
            ):
                batch.append(message)
            if not batch:
                return moved
            for message in batch:
                publisher.basic_publish(message, exchange="", routing_key=target)
            publisher.tx_commit()
            getter.basic_ack(batch[-1].delivery_tag, multiple=True)
            moved += len(batch)


def _holding(queue):
    return Queue(
        queue.name + HOLDING_SUFFIX,
        exchange=queue.exchange,
        routing_key=queue.routing_key,
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )


def _declare(connection, queue):
    with connection.channel() as channel:  # a refused declaration closes its channel only
        queue(channel).declare()


def _exists(connection, name):
    try:
        with connection.channel() as channel:
            channel.queue_declare(name, passive=True)
    except NotFound:
        return False
    return True
