"""Read-ahead of the catch-up: the next chunk is read while the caller works on this one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from projector.outbox import Document
from projector.reading import chunks, read_ahead

WAIT = 10.0  # generous: only reached if the behaviour under test is broken


class CountingChunks:
    """Chunks of one document each, recording how many were read and from which thread."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count = count
        self.fail_at = fail_at
        self.read = 0
        self.threads: set[str] = set()

    def __iter__(self) -> Iterator[list[Document]]:
        for number in range(self.count):
            self.threads.add(threading.current_thread().name)
            if number == self.fail_at:
                raise ConnectionError("outbox read failed")
            self.read += 1
            yield [{"_id": number}]


def wait_until(condition: Any) -> bool:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_every_document_comes_out_once_in_order() -> None:
    documents = [{"_id": number} for number in range(7)]

    read = list(read_ahead(chunks(documents, 3)))

    assert read == [documents[0:3], documents[3:6], documents[6:7]]


def test_the_next_chunk_is_read_in_another_thread_while_the_caller_holds_this_one() -> None:
    source = CountingChunks(5)
    reader = read_ahead(iter(source))

    next(reader)

    assert wait_until(lambda: source.read == 2)
    assert threading.current_thread().name not in source.threads


def test_it_reads_at_most_one_chunk_ahead() -> None:
    source = CountingChunks(5)
    reader = read_ahead(iter(source))

    next(reader)
    assert wait_until(lambda: source.read == 2)
    time.sleep(0.2)  # time enough to read further, were it not bounded

    assert source.read == 2
    reader.close()


def test_a_read_error_is_raised_in_the_callers_thread_after_the_chunks_before_it() -> None:
    reader = read_ahead(iter(CountingChunks(5, fail_at=2)))

    assert [next(reader), next(reader)] == [[{"_id": 0}], [{"_id": 1}]]
    with pytest.raises(ConnectionError, match="outbox read failed"):
        next(reader)


def test_closing_early_stops_reading_and_ends_the_reader_thread() -> None:
    source = CountingChunks(100)
    before = {thread.ident for thread in threading.enumerate()}
    reader = read_ahead(iter(source))
    next(reader)

    reader.close()

    assert source.read <= 2
    assert wait_until(lambda: {thread.ident for thread in threading.enumerate()} <= before)
