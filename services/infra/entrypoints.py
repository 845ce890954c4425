"""nameko's ``rpc`` with domain errors marked as expected.

A ``NotFound`` or ``Conflict`` is an answer, not a fault: nameko then logs it as a warning
instead of an error with a traceback, so real faults stand out in the logs.
"""

from nameko.rpc import rpc as nameko_rpc

from services.infra.errors import DomainError


def rpc(fn):
    return nameko_rpc(expected_exceptions=DomainError)(fn)
