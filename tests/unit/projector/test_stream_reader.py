"""Smart batching: the stream reader hands over what has arrived, never waiting for more."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from pymongo.errors import InvalidOperation, OperationFailure

from projector.runner import StreamReader

WAIT = 10.0  # generous: only reached if the behaviour under test is broken


class FakeChangeStream:
    """A change stream whose getMore blocks until the test delivers changes (like awaitData)."""

    def __init__(self) -> None:
        self._ready: list[dict[str, Any] | BaseException | None] = []
        self._cond = threading.Condition()
        self.polls_answered = 0
        self.holding = False
        self.alive = True
        self.resume_token: dict[str, Any] | None = None

    def deliver(self, *items: dict[str, Any] | BaseException | None) -> None:
        with self._cond:
            self._ready.extend(items)
            self._cond.notify_all()

    def hold_idle_polls(self, hold: bool) -> None:
        """While held, an idle getMore does not come back at all (a very long max_await)."""
        with self._cond:
            self.holding = hold
            self._cond.notify_all()

    def try_next(self) -> dict[str, Any] | None:
        with self._cond:
            while not self._ready and self.holding:
                self._cond.wait()
            if not self._ready:
                self._cond.wait(0.05)  # the server's max_await: an idle getMore comes back empty
            if not self._ready:
                return None
            item = self._ready.pop(0)
            self.polls_answered += 1
            self._cond.notify_all()
        if isinstance(item, BaseException):
            raise item
        if item is None:  # an idle poll: only the post-batch token moves
            self.resume_token = {"_data": f"idle-{self.polls_answered}"}
            return None
        self.resume_token = item["_id"]
        return item

    def wait_until_answered(self, count: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self.polls_answered >= count, timeout=WAIT)


def change(n: int) -> dict[str, Any]:
    return {"_id": {"_data": f"token-{n}"}, "fullDocument": {"_id": n}}


@pytest.fixture
def stream():
    return FakeChangeStream()


def take_documents(reader: StreamReader, limit: int = 500) -> list[Any]:
    return [document["_id"] for document in reader.take(limit, wait=WAIT).documents]


def test_a_lone_change_is_handed_over_while_the_next_getmore_is_still_waiting(stream):
    stream.hold_idle_polls(True)
    try:
        with StreamReader(stream, capacity=10) as reader:
            stream.deliver(change(1))
            batch = reader.take(500, wait=WAIT)
            # The reader's next getMore never comes back while held: the batch did not wait for it.
            answered_when_handed_over = stream.polls_answered
            stream.hold_idle_polls(False)
    finally:
        stream.hold_idle_polls(False)

    assert [document["_id"] for document in batch.documents] == [1]
    assert answered_when_handed_over == 1
    assert batch.resume_token == {"_data": "token-1"}


def test_changes_that_arrive_while_a_batch_is_applied_make_the_next_batch(stream):
    with StreamReader(stream, capacity=100) as reader:
        stream.deliver(change(1))
        first = take_documents(reader)
        # "Applying" the first batch: meanwhile nine more changes arrive and are read.
        stream.deliver(*(change(n) for n in range(2, 11)))
        stream.wait_until_answered(10)
        second = take_documents(reader)

    assert (first, second) == ([1], list(range(2, 11)))
    assert reader.counters.batch_sizes == [1, 9]


def test_a_batch_holds_at_most_the_batch_size_and_the_rest_follows_in_order(stream):
    with StreamReader(stream, capacity=100) as reader:
        stream.deliver(*(change(n) for n in range(1, 8)))
        stream.wait_until_answered(7)
        batches = [take_documents(reader, limit=3) for _ in range(3)]

    assert batches == [[1, 2, 3], [4, 5, 6], [7]]


def test_the_resume_token_handed_out_never_runs_ahead_of_the_changes_handed_out(stream):
    with StreamReader(stream, capacity=100) as reader:
        stream.deliver(*(change(n) for n in range(1, 6)))
        stream.wait_until_answered(5)
        batch = reader.take(2, wait=WAIT)

    assert [document["_id"] for document in batch.documents] == [1, 2]
    assert batch.resume_token == {"_data": "token-2"}
    assert reader.position == {"_data": "token-2"}


def test_an_idle_poll_moves_the_position_without_handing_out_a_change(stream):
    with StreamReader(stream, capacity=10) as reader:
        stream.deliver(None)
        stream.wait_until_answered(1)
        batch = reader.take(500, wait=WAIT)

    assert batch.documents == []
    assert batch.resume_token == reader.position == {"_data": "idle-1"}


def test_nothing_arrived_within_the_idle_wait_gives_an_empty_batch(stream):
    with StreamReader(stream, capacity=10) as reader:
        batch = reader.take(500, wait=0)

    assert (batch.documents, batch.resume_token) == ([], None)


def test_a_read_error_is_raised_in_the_applier_after_the_changes_read_before_it(stream):
    lost = OperationFailure("history lost", code=286)
    with StreamReader(stream, capacity=10) as reader:
        stream.deliver(change(1), lost)
        stream.wait_until_answered(2)
        with pytest.raises(OperationFailure) as raised:
            reader.take(500, wait=WAIT)

    assert raised.value is lost


def test_a_closed_stream_is_reported_instead_of_polled_in_a_busy_loop(stream):
    stream.alive = False
    with StreamReader(stream, capacity=10) as reader, pytest.raises(InvalidOperation):
        reader.take(500, wait=WAIT)


def test_a_full_queue_holds_the_reader_back_until_the_applier_takes(stream):
    with StreamReader(stream, capacity=2) as reader:
        stream.deliver(*(change(n) for n in range(1, 6)))
        stream.wait_until_answered(3)  # two queued; the third waits for room, so no fourth getMore
        assert stream.polls_answered == 3
        taken = take_documents(reader, limit=2)
        while len(taken) < 5:
            taken += take_documents(reader)

    assert taken == [1, 2, 3, 4, 5]


def test_capacity_must_be_positive(stream):
    with pytest.raises(ValueError, match="capacity"):
        StreamReader(stream, capacity=0)
