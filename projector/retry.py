"""Sync engine service: sweeps of the outbox through the same idempotent apply.

``sweep_unfinished`` applies every entry not yet done (start-up catch-up, and the recovery when
the change stream's history was lost); ``retry_due`` applies failed entries whose backoff is
due, in-progress entries whose lease expired and pending entries the stream missed (the Celery
beat task, and the projector itself after a failed batch).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import cast

from django.utils import timezone

from projector import metrics
from projector.delivery import BatchOutcome, deliver
from projector.leader import LeaderLease
from projector.outbox import Document, OutboxStore
from projector.status_writer import StatusWriter

logger = logging.getLogger(__name__)


@dataclass
class SweepReport:
    seen: int = 0
    applied: int = 0
    duplicates: int = 0
    held: int = 0
    failed: int = 0
    batches: int = 0

    def add(self, size: int, outcome: BatchOutcome) -> None:
        self.seen += size
        self.batches += 1
        self.applied += outcome.applied
        self.duplicates += outcome.duplicates
        self.held += outcome.held
        self.failed += outcome.failed

    @property
    def unfinished(self) -> int:
        return self.held + self.failed


def sweep_unfinished(
    outbox: OutboxStore,
    *,
    owner: str,
    batch_size: int,
    kind: str,
    fence: LeaderLease | None = None,
    stop: threading.Event | None = None,
    status_writer: StatusWriter | None = None,
    before_chunk: Callable[[], None] | None = None,
) -> SweepReport:
    """Apply every entry that is not done (nor dead), aggregate by aggregate in version order.

    No per-entry claim: only the leader sweeps (``fence``), and claiming a batch of a large backlog
    would not keep the retry task off the rest of it anyway; a double apply is a duplicate.
    ``before_chunk`` runs before each chunk is applied (the runner waits there while paused).
    """
    report = SweepReport()
    # The next chunk is read while this one is applied: MongoDB and MySQL round trips overlap.
    for chunk in _read_ahead(_chunks(outbox.unfinished(batch_size=batch_size), batch_size)):
        if before_chunk is not None:
            before_chunk()
        if stop is not None and stop.is_set():
            logger.info("%s sweep interrupted by shutdown after %d entries", kind, report.seen)
            break
        outcome = deliver(chunk, outbox, owner=owner, claim=False, fence=fence, status_writer=status_writer)
        report.add(len(chunk), outcome)
    _log(kind, report)
    return report


def retry_due(
    outbox: OutboxStore,
    *,
    owner: str,
    pending_grace: timedelta,
    limit: int,
    batch_size: int,
    kind: str = "retry",
) -> SweepReport:
    """Re-apply entries that are due; entries under another live lease are left alone."""
    now = timezone.now()
    candidates = outbox.due(now=now, pending_before=now - pending_grace, limit=limit)
    taken = outbox.claim_unleased([doc["_id"] for doc in candidates], owner=owner, now=now)
    report = SweepReport()
    mine = [doc for doc in candidates if doc["_id"] in taken]
    for chunk in _chunks(iter(mine), batch_size):
        report.add(len(chunk), deliver(chunk, outbox, owner=owner, claim=False))
    if candidates:
        _log(kind, report, skipped=len(candidates) - len(mine))
    return report


def _chunks(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    iterator = iter(documents)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _ReadFailed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def _read_ahead(chunks: Iterator[list[Document]]) -> Iterator[list[Document]]:
    """Read the next chunk from MongoDB in a background thread while the caller applies this one.

    One chunk ahead at most; a read error is raised in the caller's thread, where it was before.
    """
    ready: queue.Queue[object] = queue.Queue(maxsize=1)
    closed = threading.Event()

    def hand_over(item: object) -> bool:
        while not closed.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for chunk in chunks:
                if not hand_over(chunk):
                    return
            hand_over(_END)
        except BaseException as exc:  # handed to the caller, which re-raises it
            hand_over(_ReadFailed(exc))

    reader = threading.Thread(target=read, name="outbox-catch-up-reader", daemon=True)
    reader.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, _ReadFailed):
                raise item.error
            yield cast(list[Document], item)
    finally:
        closed.set()
        reader.join(timeout=30)


def _log(kind: str, report: SweepReport, skipped: int = 0) -> None:
    metrics.SWEPT.labels(kind).inc(report.applied)
    logger.info(
        "%s sweep: %d entries in %d batches — %d applied, %d duplicates, %d held, %d failed, "
        "%d leased elsewhere",
        kind,
        report.seen,
        report.batches,
        report.applied,
        report.duplicates,
        report.held,
        report.failed,
        skipped,
    )
