"""nameko's ``rpc`` with domain errors marked as expected, and answers that outlive the broker.

A ``NotFound`` or ``Conflict`` is an answer, not a fault: nameko then logs it as a warning
instead of an error with a traceback, so real faults stand out in the logs.

nameko kills the whole service when a worker cannot publish its answer (the broker restarting
while a call was being handled): the process exits, and ``make run`` stops everything with it.
The caller has given up by then (its call times out), so the answer is dropped with a warning
and the service carries on; its consumers reconnect by themselves.
"""

import logging

from kombu.exceptions import OperationalError
from nameko.rpc import Rpc

from services.infra import broker  # noqa: F401  (acks that outlive the connection)
from services.infra.errors import DomainError

log = logging.getLogger(__name__)


class ResilientRpc(Rpc):
    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except (OperationalError, OSError) as exc:  # OSError: ConnectionError, socket errors
            log.warning("could not answer %s (the broker is unreachable: %s); the caller's call times out",
                        worker_ctx.call_id, exc)
            return result, exc_info


def rpc(fn):
    return ResilientRpc.decorator(expected_exceptions=DomainError)(fn)
