"""Concurrent requests of one process go to a service as one RPC.

Each RPC message costs CPU at every hop (nameko, kombu, RabbitMQ) whatever it carries: for an
order that per-message cost is most of the work. ``Coalescer.submit`` sends an item at once when
nothing is in flight (a lone request waits for nothing); items submitted while a batch is in
flight wait and go together as the next batch, so under load one message carries many items.

The batch is sent by a submitting green thread itself (the leader: the oldest item waiting), in
its own nameko worker, with that worker's RPC client and deadline; no background thread. One
batch is in flight at a time.
"""

from collections import deque

from eventlet.event import Event
from nameko.extensions import DependencyProvider

from services.infra.errors import ServiceUnavailable


class Coalescer:
    def __init__(self, max_batch=100):
        self.max_batch = max_batch
        self.waiting = deque()  # tickets not yet in a batch, oldest first
        self.busy = False  # a batch is in flight, or the leader of the next one is waking up

    def submit(self, item, send_batch):
        """This item's outcome: ``send_batch(items)`` answers a list of outcomes, one per item
        in order. Whatever ``send_batch`` raises is raised for every item of that batch. Only the
        leader's ``send_batch`` is called, for its whole batch."""
        ticket = Ticket(item)
        self.waiting.append(ticket)
        if self.busy:
            try:
                ticket.woken.wait()  # for this item's outcome, or to lead the next batch
            except BaseException:  # killed while waiting (GreenletExit, eventlet.Timeout)
                self._forget(ticket)
                raise
        else:
            self.busy = True
        if not ticket.settled:
            self._lead(send_batch)
        return ticket.outcome()

    def _lead(self, send_batch):
        batch = [self.waiting.popleft() for _ in range(min(len(self.waiting), self.max_batch))]
        try:
            outcomes = send_batch([ticket.item for ticket in batch])
            if len(outcomes) != len(batch):
                raise ValueError(f"{len(outcomes)} outcomes for a batch of {len(batch)}")
        except Exception as exc:
            for ticket in batch:
                ticket.settle(error=exc)
        else:
            for ticket, outcome in zip(batch, outcomes, strict=True):
                ticket.settle(value=outcome)
        finally:
            # The leader was killed while sending: its batch's outcomes will never be known here.
            for ticket in batch:
                if not ticket.settled:
                    ticket.settle(error=ServiceUnavailable("The request was abandoned on its way."))
            self._hand_on()

    def _forget(self, ticket):
        if ticket in self.waiting:
            self.waiting.remove(ticket)
            if ticket.woken.ready():  # it had been woken to lead: the next one leads instead
                self._hand_on()

    def _hand_on(self):
        """The oldest waiting item leads the next batch; with none waiting, the next submit goes
        at once."""
        self.busy = bool(self.waiting)
        if self.waiting:
            self.waiting[0].woken.send()


class SharedCoalescer(DependencyProvider):
    """Every worker's ``self.<name>``: the process's one ``Coalescer``, so batches form across
    requests."""

    def __init__(self, max_batch=100):
        self.max_batch = max_batch

    def setup(self):
        self.coalescer = Coalescer(self.max_batch)

    def get_dependency(self, worker_ctx):
        return self.coalescer


class Ticket:
    """One submitted item until its outcome is known."""

    def __init__(self, item):
        self.item = item
        self.woken = Event()
        self.settled = False
        self.value = self.error = self.traceback = None

    def settle(self, value=None, error=None):
        self.settled, self.value, self.error = True, value, error
        self.traceback = error.__traceback__ if error is not None else None
        if not self.woken.ready():  # a leader was woken already (to lead)
            self.woken.send()

    def outcome(self):
        if self.error is not None:
            # The batch's one exception, raised by each item with the traceback of the failed send.
            raise self.error.with_traceback(self.traceback)
        return self.value
