"""Sync engine service: sweeps of the outbox through the same idempotent apply.

``sweep_unfinished`` applies every entry not yet done (start-up catch-up, and the recovery when
the change stream's history was lost); ``retry_due`` applies failed entries whose backoff is
due, in-progress entries whose lease expired and pending entries the stream missed (the Celery
beat task, and the projector itself after a failed batch).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from projector import metrics
from projector.apply import Outcome
from projector.delivery import deliver
from projector.leader import LeaderLease
from projector.outbox import Document, OutboxStore, StatusWriter
from projector.reading import chunks, read_ahead

logger = logging.getLogger(__name__)


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
) -> Outcome:
    """Apply every entry that is not done (nor dead), aggregate by aggregate in version order.

    No per-entry claim: only the leader sweeps (``fence``), and claiming a batch of a large backlog
    would not keep the retry task off the rest of it anyway; a double apply is a duplicate.
    ``before_chunk`` runs before each chunk is applied (the runner waits there while paused).
    """
    report = Outcome()
    # The next chunk is read while this one is applied: MongoDB and MySQL round trips overlap.
    for chunk in read_ahead(chunks(outbox.unfinished(batch_size=batch_size), batch_size)):
        if before_chunk is not None:
            before_chunk()
        if stop is not None and stop.is_set():
            logger.info("%s sweep interrupted by shutdown after %d entries", kind, report.seen)
            break
        report.add(deliver(chunk, outbox, owner=owner, claim=False, fence=fence, status_writer=status_writer))
    else:
        if status_writer is not None:
            status_writer.flush()  # the releases below read the statuses just written
        release_orphans(outbox, owner=owner, batch_size=batch_size, report=report)
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
) -> Outcome:
    """Re-apply entries that are due; entries under another live lease are left alone."""
    now = timezone.now()
    candidates = outbox.due(now=now, pending_before=now - pending_grace, limit=limit)
    taken = outbox.claim_unleased([doc["_id"] for doc in candidates], owner=owner, now=now)
    report = Outcome()
    mine = [doc for doc in candidates if doc["_id"] in taken]
    for chunk in chunks(iter(mine), batch_size):
        outcome = deliver(chunk, outbox, owner=owner, claim=False)
        report.add(outcome)
        release_parked(outbox, outcome.unblocked, owner=owner, report=report)
    release_orphans(outbox, owner=owner, batch_size=batch_size, report=report)
    if candidates or report.released:
        _log(kind, report, skipped=len(candidates) - len(mine))
    return report


def release_parked(outbox: OutboxStore, blocker_ids: list[uuid.UUID], *, owner: str, report: Outcome) -> None:
    """Apply, in version order, the entries parked behind these (now done or skipped) entries."""
    parked = outbox.parked_behind(blocker_ids)
    if parked:
        _deliver_released(outbox, parked, owner=owner, report=report)


def release_orphans(outbox: OutboxStore, *, owner: str, batch_size: int, report: Outcome) -> None:
    """Parked entries whose blocker is no longer failing (a release cut short by a crash)."""
    orphans = outbox.orphaned_parked(limit=batch_size)
    if orphans:
        logger.warning("releasing %d parked entries whose blocker is no longer failing", len(orphans))
        _deliver_released(outbox, orphans, owner=owner, report=report)


def _deliver_released(outbox: OutboxStore, parked: list[Document], *, owner: str, report: Outcome) -> None:
    outbox.unpark([doc["_id"] for doc in parked])
    logger.info("releasing %d parked entries in version order", len(parked))
    report.released += len(parked)
    report.add(deliver(parked, outbox, owner=owner))


def _log(kind: str, report: Outcome, skipped: int = 0) -> None:
    metrics.SWEPT.labels(kind).inc(report.applied)
    logger.info(
        "%s sweep: %d entries in %d batches — %d applied, %d duplicates, %d held, %d parked, "
        "%d failed (%d now dead), %d released from parking, %d leased elsewhere",
        kind,
        report.seen,
        report.batches,
        report.applied,
        report.duplicates,
        report.held,
        report.parked,
        report.failed,
        report.dead,
        report.released,
        skipped,
    )
