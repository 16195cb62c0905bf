"""Sync engine service: one batch of outbox documents — parse, claim, apply, record the outcome.

Used by the runner (change stream and catch-up) and by the sweeps, so every path goes through
the same idempotent ``apply_events`` and the same "status only after the MySQL commit" rule.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

from django.db import DatabaseError
from django.utils import timezone

from projector.apply import ApplyReport, apply_events
from projector.checkpoint import CheckpointUpdate
from projector.events import EventParseError, ProjectorEvent, parse_event
from projector.leader import LeaderLease
from projector.outbox import Document, OutboxStore
from projector.status_writer import StatusWriter

logger = logging.getLogger(__name__)


@dataclass
class BatchOutcome:
    applied: int = 0
    duplicates: int = 0
    held: int = 0
    failed: int = 0
    held_ids: list[uuid.UUID] = field(default_factory=list)

    @property
    def unfinished(self) -> int:
        return self.held + self.failed


def deliver(
    documents: Sequence[Document],
    outbox: OutboxStore,
    *,
    owner: str,
    claim: bool = True,
    checkpoint: CheckpointUpdate | None = None,
    fence: LeaderLease | None = None,
    status_writer: StatusWriter | None = None,
) -> BatchOutcome:
    """Apply ``documents``; a read-database error marks them failed and is re-raised.

    The outcome is recorded in the outbox after the commit: inline, or by ``status_writer``.
    """
    events: list[ProjectorEvent] = []
    by_id: dict[uuid.UUID, Document] = {}
    rejected: list[tuple[Document, str]] = []
    for document in documents:
        try:
            event = parse_event(document)
        except EventParseError as exc:
            logger.error("outbox entry %s is not a valid event: %s", document.get("_id"), exc)
            rejected.append((document, f"EventParseError: {exc}"))
            continue
        events.append(event)
        by_id[event.event_id] = document
    if claim:
        ids = [document["_id"] for document in documents]
        take = partial(outbox.claim, ids, owner=owner, now=timezone.now())
        # Through the status writer, the claim overlaps the MySQL transaction instead of preceding
        # it (a lone event's latency); it still lands before this batch's outcome (FIFO).
        if status_writer is None:
            take()
        else:
            status_writer.submit(take)
    try:
        report = apply_events(events, checkpoint=checkpoint, fence=fence)
    except DatabaseError as exc:
        error = f"{exc.__class__.__name__}: {exc}"
        logger.warning("batch of %d events not applied, marking them failed: %s", len(events), error)
        if status_writer is not None:
            status_writer.flush()  # the claim first, so it cannot overwrite the failure
        outbox.mark_failed([*rejected, *((doc, error) for doc in by_id.values())], now=timezone.now())
        raise
    failures = [*rejected, *((by_id[event_id], error) for event_id, error in report.failed.items())]
    for event_id, error in report.failed.items():
        logger.error("event %s failed to project: %s", event_id, error)

    def record() -> None:
        now = timezone.now()
        outbox.mark_done(report.done_ids, now=now)
        outbox.mark_failed(failures, now=now)
        outbox.release(report.held_ids)

    if status_writer is None:
        record()
    else:
        status_writer.submit(record)
    return _outcome(report, failures)


def _outcome(report: ApplyReport, failures: list[tuple[Document, str]]) -> BatchOutcome:
    if report.held:
        logger.info(
            "held back %d events ahead of their aggregate's version: %s",
            len(report.held),
            ", ".join(f"{e.aggregate_id}@v{e.version}" for e in report.held[:10]),
        )
    return BatchOutcome(
        applied=len(report.applied),
        duplicates=len(report.duplicates),
        held=len(report.held),
        failed=len(failures),
        held_ids=report.held_ids,
    )
