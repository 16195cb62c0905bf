"""Integration tests: deadline-bounded waits for change events and conditions (no bare sleeps)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from pymongo.change_stream import ChangeStream

ChangeEvent = Mapping[str, Any]

EVENT_DEADLINE_S = 10.0


def next_change(stream: ChangeStream, deadline_s: float = EVENT_DEADLINE_S) -> ChangeEvent:
    """Returns the stream's next event, failing the test if none arrives before the deadline."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        change = stream.try_next()
        if change is not None:
            return change
    raise AssertionError(f"no change event within {deadline_s}s")


def collect_changes(
    stream: ChangeStream, count: int, deadline_s: float = EVENT_DEADLINE_S
) -> list[ChangeEvent]:
    """Returns exactly the next `count` events of the stream, failing on a deadline."""
    deadline = time.monotonic() + deadline_s
    changes: list[ChangeEvent] = []
    while len(changes) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"only {len(changes)} of {count} change events within {deadline_s}s")
        changes.append(next_change(stream, remaining))
    return changes


def assert_no_change(stream: ChangeStream, window_s: float = 1.0) -> None:
    """Polls the stream for a while and fails if any event shows up."""
    deadline = time.monotonic() + window_s
    while time.monotonic() < deadline:
        change = stream.try_next()
        assert change is None, f"unexpected change event {change!r}"


def wait_until(
    predicate: Callable[[], bool], deadline_s: float = EVENT_DEADLINE_S, what: str = "condition"
) -> None:
    """Polls `predicate` until it is true, failing the test at the deadline."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"{what} not reached within {deadline_s}s")
