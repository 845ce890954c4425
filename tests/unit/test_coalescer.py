"""The gateway's coalescer: items submitted while a batch is in flight go together as the next
batch, each submitter gets its own outcome, and no submitter is left waiting forever."""

import eventlet
import pytest
from eventlet.event import Event

from gateway.coalescer import Coalescer
from services.infra.errors import ServiceUnavailable


def times_ten(item):
    if item == "bad":
        raise ServiceUnavailable("orders did not answer")
    return item * 10


class Service:
    """A ``send_batch`` that records each batch; the batches numbered in ``held`` stay in flight
    until ``release(number)``."""

    def __init__(self, held=(0,)):
        self.batches, self.held = [], held
        self.gates = {number: Event() for number in held}

    def send_batch(self, items):
        number = len(self.batches)
        self.batches.append(list(items))
        if number in self.gates:
            self.gates[number].wait()
        return [times_ten(item) for item in items]

    def release(self, number):
        self.gates[number].send()


def until(condition):
    """Let the other green threads run until ``condition()`` holds."""
    for _ in range(100):
        if condition():
            return
        eventlet.sleep(0)
    raise AssertionError("never happened")


def result(thread):
    """The thread's answer; a thread left waiting fails the test instead of hanging it."""
    with eventlet.Timeout(1):
        return thread.wait()


def spawn(coalescer, service, *items):
    """Submit each item from its own green thread, in order."""
    threads = []
    for item in items:
        threads.append(eventlet.spawn(coalescer.submit, item, service.send_batch))
        eventlet.sleep(0)
    return threads


def test_a_lone_item_is_sent_alone_and_at_once():
    sent = []
    assert Coalescer().submit(7, lambda items: sent.append(items) or ["seven"]) == "seven"
    assert sent == [[7]]


def test_items_submitted_during_a_batch_go_together_and_each_gets_its_own_outcome():
    coalescer, service = Coalescer(), Service()
    threads = spawn(coalescer, service, 1, 2, 3, 4)
    assert service.batches == [[1]]  # 2, 3 and 4 wait for the batch in flight
    service.release(0)
    assert [result(thread) for thread in threads] == [10, 20, 30, 40]
    assert service.batches == [[1], [2, 3, 4]]
    assert not coalescer.busy and not coalescer.waiting


def test_a_batch_holds_at_most_max_batch_items():
    coalescer, service = Coalescer(max_batch=2), Service()
    threads = spawn(coalescer, service, 1, 2, 3, 4, 5)
    service.release(0)
    assert [result(thread) for thread in threads] == [10, 20, 30, 40, 50]
    assert service.batches == [[1], [2, 3], [4, 5]]


def test_an_exception_from_send_batch_reaches_every_item_of_that_batch_and_the_next_batch_goes():
    coalescer, service = Coalescer(), Service(held=(0, 1))
    first, *failing = spawn(coalescer, service, 1, "bad", 3)
    service.release(0)
    until(lambda: len(service.batches) == 2)
    assert result(first) == 10 and service.batches == [[1], ["bad", 3]]
    [later] = spawn(coalescer, service, 4)  # waits for the batch that will fail
    service.release(1)
    for thread in failing:
        with pytest.raises(ServiceUnavailable, match="orders did not answer"):
            result(thread)
    assert result(later) == 40
    assert service.batches == [[1], ["bad", 3], [4]]
    assert coalescer.submit(5, service.send_batch) == 50  # free again: goes at once


def test_a_wrong_number_of_outcomes_fails_the_batch():
    with pytest.raises(ValueError, match="0 outcomes for a batch of 1"):
        Coalescer().submit(1, lambda items: [])


@pytest.mark.parametrize(
    "kill",
    [
        lambda thread: thread.kill(),  # GreenletExit: the worker is stopped
        lambda thread: thread.kill(eventlet.Timeout),  # a deadline around the request
    ],
    ids=["GreenletExit", "Timeout"],
)
def test_a_leader_killed_while_sending_strands_no_one(kill):
    coalescer, service = Coalescer(), Service(held=(0, 1))
    first, leader, follower = spawn(coalescer, service, 1, 2, 3)
    service.release(0)
    until(lambda: len(service.batches) == 2)
    assert result(first) == 10 and service.batches == [[1], [2, 3]]  # 2 leads batch [2, 3]
    [waiting] = spawn(coalescer, service, 4)
    kill(leader)
    # Its follower learns the batch's fate is unknown; the next batch goes all the same.
    with pytest.raises(ServiceUnavailable, match="abandoned"):
        result(follower)
    assert result(waiting) == 40
    assert service.batches == [[1], [2, 3], [4]]
    assert not coalescer.busy and not coalescer.waiting


def test_a_waiter_killed_before_its_batch_is_not_sent():
    coalescer, service = Coalescer(), Service()
    first, gone, kept = spawn(coalescer, service, 1, 2, 3)
    gone.kill()
    service.release(0)
    assert result(first) == 10 and result(kept) == 30
    assert service.batches == [[1], [3]]


def test_a_waiter_killed_just_as_it_was_woken_to_lead_hands_the_lead_on():
    coalescer, service = Coalescer(max_batch=1), Service()
    first, woken, next_one = spawn(coalescer, service, 1, 2, 3)
    hand_on = coalescer._hand_on

    def hand_on_then_kill_the_new_leader():
        hand_on()
        if not woken.dead:
            woken.kill()  # before it could run: it must pass the lead on

    coalescer._hand_on = hand_on_then_kill_the_new_leader
    service.release(0)
    assert result(first) == 10 and result(next_one) == 30
    assert service.batches == [[1], [3]]
    assert not coalescer.busy
