"""A batch of independent commands (what arrived together in one RPC) done as cheaply as one.

Each item commits in one transaction with the rest while nothing goes wrong; when something
does (one item refused, a key claimed before, a fault), the batch's transaction is rolled back
and each item is done on its own, so one item's refusal undoes no other and each gets its own
answer.
"""

import logging

log = logging.getLogger(__name__)


def together_or_each(session, items, together, each, *, errors=(Exception,), what="items"):
    """``together(session, items)`` in one transaction: one result per item, in order. If it
    raises one of ``errors``, its transaction is rolled back and the results are
    ``each(item)`` for every item, outside any transaction (``each`` opens its own)."""
    if not items:
        return []
    try:
        with session.begin():
            results = together(session, items)
    except errors:
        log.debug("a batch of %d %s is done one by one", len(items), what, exc_info=True)
        return [each(item) for item in items]
    if len(results) != len(items):
        raise ValueError(f"{len(results)} results for a batch of {len(items)} {what}")
    return results
