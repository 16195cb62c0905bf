"""The one outcome type: counts that add up over batches, the task's keys, what stays unfinished."""

from __future__ import annotations

import uuid

from projector.apply import COUNTS, Outcome


def test_adding_batches_sums_every_count_and_collects_the_unblocked_entries() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    swept = Outcome()

    swept.add(Outcome(seen=3, applied=2, failed=1, batches=1, unblocked=[first]))
    swept.add(
        Outcome(seen=4, duplicates=1, held=2, parked=1, dead=1, released=1, batches=1, unblocked=[second])
    )

    assert swept.counts() == {
        "seen": 7, "applied": 2, "duplicates": 1, "held": 2, "parked": 1,
        "failed": 1, "dead": 1, "released": 1, "batches": 2,
    }
    assert swept.unblocked == [first, second]
    assert swept.unfinished == 3


def test_the_counts_are_the_int_fields_in_the_retry_tasks_key_order() -> None:
    assert COUNTS == (
        "seen", "applied", "duplicates", "held", "parked", "failed", "dead", "released", "batches",
    )
    assert list(Outcome().counts()) == list(COUNTS)
    assert set(Outcome().counts().values()) == {0}


def test_nothing_held_or_failed_is_nothing_unfinished() -> None:
    assert Outcome(seen=5, applied=3, duplicates=1, parked=1, dead=1).unfinished == 0
