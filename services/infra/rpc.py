"""RPC with a deadline: every call has a timeout, and its message expires with it.

nameko's in-service ``RpcProxy`` waits forever. ``Rpc`` gives the worker a client whose calls
raise ``ServiceUnavailable`` after ``timeout`` seconds; the request message carries the same
``expiration``, so a call that gave up is dropped by the broker and never runs later.
"""

import copy
import logging
import time

import eventlet
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher
from nameko.constants import NON_PERSISTENT
from nameko.extensions import DependencyProvider
from nameko.rpc import MethodProxy, ReplyListener

from services.infra import (
    broker,  # noqa: F401  (acks that outlive the connection)
    metrics,
)
from services.infra.context import parse_deadline
from services.infra.errors import ServiceUnavailable

log = logging.getLogger(__name__)

# Below the gateway's own deadline (LINLI_RPC_TIMEOUT_SECONDS, 4 s), so nested calls give up first.
DEFAULT_TIMEOUT = 3.0
MIN_BUDGET = 0.05  # seconds: less than this left is no time to do anything useful
RPC_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0.2,
    "interval_step": 0.3,
    "interval_max": 0.5,
}


class LightPublisher(Publisher):
    """RPC requests and answers go without publisher confirms and as transient messages (the
    broker keeps them in memory only): a message the broker lost is a call that times out, which
    every caller handles already, and waiting for a confirm would add a broker round trip to
    every call."""

    use_confirms = False
    delivery_mode = NON_PERSISTENT


class RequestPublisher(LightPublisher):
    """Requests are not ``mandatory`` either, which nameko asks for to tell an unknown service at
    once: without a confirm to wait for, the broker's "no route" comes back later and py-amqp
    raises it on the channel's next publish, so an unrelated healthy call would fail as "unknown
    service" (a call made while a service is still starting would poison a later one). An
    unroutable call times out.
    """

    def publish(self, payload, **kwargs):
        return super().publish(payload, **{**kwargs, "mandatory": False})


class RequestProxy(MethodProxy):
    publisher_cls = RequestPublisher


class RpcClient:
    def __init__(self, worker_ctx, reply_listener, timeout):
        self.worker_ctx = worker_ctx
        self.reply_listener = reply_listener
        self.timeout = timeout
        self.inherited_deadline = parse_deadline(worker_ctx.data.get("deadline"))

    def acting_as(self, context):
        """A client whose calls carry ``context`` (tenant, member, role...) instead of this
        worker's, and the same deadline: for a worker that acts for others (a timer for each
        community, a batch of orders for each member). This worker's own context is left as is."""
        worker_ctx = copy.copy(self.worker_ctx)
        worker_ctx.data = {**context}
        if self.inherited_deadline is not None:
            worker_ctx.data["deadline"] = self.inherited_deadline
        return RpcClient(worker_ctx, self.reply_listener, self.timeout)

    def call(self, service, method, *args, timeout=None, **kwargs):
        now = time.time()
        timeout = timeout or self.timeout
        if self.inherited_deadline is not None:
            timeout = min(timeout, self.inherited_deadline - now)
        if timeout <= MIN_BUDGET:
            raise ServiceUnavailable("The caller's deadline has passed.", {"service": service})
        proxy = RequestProxy(
            self.worker_ctx,
            service,
            method,
            self.reply_listener,
            expiration=timeout,
            retry_policy=RPC_RETRY_POLICY,
        )
        try:
            with eventlet.Timeout(timeout):
                reply = self._send(proxy, now + timeout, args, kwargs)
                return reply.result()
        except eventlet.Timeout:
            metrics.RPC_TIMEOUTS.labels(service=self.worker_ctx.service_name, target=service).inc()
            raise ServiceUnavailable(
                f"The {service} service did not answer in time.", {"service": service}
            ) from None
        except (TimeoutError, OperationalError, OSError) as exc:
            log.warning("calling %s.%s failed: %r", service, method, exc)
            raise ServiceUnavailable(
                f"The {service} service is not reachable.", {"service": service}
            ) from None

    def _send(self, proxy, deadline, args, kwargs):
        """Publish with this call's deadline in the context headers, then restore ours."""
        self.worker_ctx.data["deadline"] = deadline
        try:
            return proxy.call_async(*args, **kwargs)
        finally:
            if self.inherited_deadline is None:
                self.worker_ctx.data.pop("deadline", None)
            else:
                self.worker_ctx.data["deadline"] = self.inherited_deadline


class Rpc(DependencyProvider):
    """``self.rpc.call("catalog", "reserve_stocks", ...)`` inside a service or the gateway."""

    reply_listener = ReplyListener()

    def __init__(self, timeout=DEFAULT_TIMEOUT):
        self.timeout = timeout

    def get_dependency(self, worker_ctx):
        return RpcClient(worker_ctx, self.reply_listener, self.timeout)
