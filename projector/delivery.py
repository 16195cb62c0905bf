"""Sync engine service: one batch of outbox documents — parse, claim, apply, record the outcome.

Used by the runner (change stream and catch-up), by the sweeps and by the dead-letter
operations, so every path goes through the same idempotent ``apply_events`` and the same
"status only after the MySQL commit" rule. Here the sequenced dead-letter queue is kept: an
event that fails permanently counts toward ``dead``; the later events of its aggregate are
parked behind it instead of burning attempts of their own.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from accounts_write.contract import AnyEvent, EventDecodeError, OutboxStatus, SkippedEvent, decode_entry
from accounts_write.contract import OutboxField as F
from projector.apply import Outcome, apply_events, flag_accounts
from projector.control import POISON_ERROR, poisoned_events
from projector.failures import describe
from projector.leader import CheckpointUpdate, LeaderLease
from projector.outbox import Document, Failure, OutboxStore, StatusWriter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParsedBatch:
    """A batch's documents as events (by event id) and the entries that are no valid event."""

    documents: Sequence[Document]
    events: list[AnyEvent]
    by_id: dict[uuid.UUID, Document]
    rejected: list[Failure]


def deliver(
    documents: Sequence[Document],
    outbox: OutboxStore,
    *,
    owner: str,
    claim: bool = True,
    checkpoint: CheckpointUpdate | None = None,
    fence: LeaderLease | None = None,
    status_writer: StatusWriter | None = None,
) -> Outcome:
    """Apply ``documents``; a transient read-database error marks them failed and is re-raised.

    The outcome is recorded in the outbox after the commit: inline, or by ``status_writer``.
    """
    batch = parse_batch(documents)
    applied = apply_batch(
        batch,
        outbox,
        owner=owner,
        claim=claim,
        checkpoint=checkpoint,
        fence=fence,
        status_writer=status_writer,
    )
    return record_outcome(batch, applied, outbox, owner=owner, status_writer=status_writer)


def parse_batch(documents: Sequence[Document]) -> ParsedBatch:
    """Parse each document; one that is no valid event fails permanently (as does a poisoned one)."""
    events: list[AnyEvent] = []
    by_id: dict[uuid.UUID, Document] = {}
    rejected: list[Failure] = []
    for document in documents:
        try:
            event = decode_entry(document)
        except EventDecodeError as exc:
            logger.error("outbox entry %s is not a valid event: %s", document.get("_id"), exc)
            # "EventParseError" is the prefix last_error has always carried (operators search for it).
            rejected.append(Failure(document, f"EventParseError: {exc}", permanent=True))
            continue
        events.append(event)
        by_id[event.event_id] = document
    if settings.DEMO_FAULTS:  # the demo page's poison switch; never even read in production
        events = _fail_poisoned(events, by_id, rejected)
    return ParsedBatch(documents, events, by_id, rejected)


def apply_batch(
    batch: ParsedBatch,
    outbox: OutboxStore,
    *,
    owner: str,
    claim: bool = True,
    checkpoint: CheckpointUpdate | None = None,
    fence: LeaderLease | None = None,
    status_writer: StatusWriter | None = None,
) -> Outcome:
    """Claim the entries, then ``apply_events``; if the read database fails, mark them all failed."""
    if claim:
        ids = [document["_id"] for document in batch.documents]
        take = partial(outbox.claim, ids, owner=owner, now=timezone.now())
        # Through the status writer, the claim overlaps the MySQL transaction instead of preceding
        # it (a lone event's latency); it still lands before this batch's outcome (FIFO).
        if status_writer is None:
            take()
        else:
            status_writer.submit(take)
    try:
        return apply_events(batch.events, checkpoint=checkpoint, fence=fence)
    except DatabaseError as exc:
        # Permanent errors were isolated inside apply_events: this one is about the database.
        error = describe(exc)
        logger.warning("batch of %d events not applied, marking them failed: %s", len(batch.events), error)
        if status_writer is not None:
            status_writer.flush()  # the claim first, so it cannot overwrite the failure
        transient = [Failure(doc, error, permanent=False) for doc in batch.by_id.values()]
        outbox.mark_failed([*batch.rejected, *transient], now=timezone.now(), owner=owner)
        raise


def record_outcome(
    batch: ParsedBatch,
    applied: Outcome,
    outbox: OutboxStore,
    *,
    owner: str,
    status_writer: StatusWriter | None = None,
) -> Outcome:
    """Park, release, fail or finish each entry as ``applied`` says; flag the accounts of new dead letters."""
    failures = [
        *batch.rejected,
        *(Failure(batch.by_id[event_id], error, True) for event_id, error in applied.errors.items()),
    ]
    parked, released = _park_or_release(applied.held_events, failures, outbox)
    dying = [failure for failure in failures if outbox.dies_after(failure)]
    if dying:
        flags = dead_letter_flags([(failure.document, failure.error) for failure in dying])
        for _, reason in flags.values():
            logger.error("%s (after %d failed attempts)", reason, outbox.max_attempts)
        flag_accounts(flags)
    done_events = applied.done_events
    done = [event.event_id for event in done_events if not isinstance(event, SkippedEvent)]
    skipped = [event.event_id for event in done_events if isinstance(event, SkippedEvent)]

    def record() -> None:
        now = timezone.now()
        outbox.mark_done(done, now=now)
        outbox.mark_done(skipped, now=now, status=OutboxStatus.SKIPPED)
        outbox.mark_failed(failures, now=now, owner=owner)
        outbox.park(parked)
        outbox.release(released)

    if status_writer is None:
        record()
    else:
        status_writer.submit(record)
    _log_held(applied, parked, released)
    done_documents = [batch.by_id[event.event_id] for event in done_events]
    return Outcome(
        seen=len(batch.documents),
        applied=applied.applied,
        duplicates=applied.duplicates,
        held=len(released),
        parked=len(parked),
        failed=len(failures),
        dead=len(dying),
        batches=1,
        unblocked=[doc["_id"] for doc in done_documents if _was_failing(doc)],
    )


def _fail_poisoned(
    events: list[AnyEvent], by_id: dict[uuid.UUID, Document], rejected: list[Failure]
) -> list[AnyEvent]:
    """Demo fault: a poisoned account's next event fails permanently, as a poison event would."""
    poisoned = {event.event_id for event in poisoned_events(events)}
    for event_id in poisoned:
        logger.warning("demo fault: failing event %s of a poisoned account", event_id)
        rejected.append(Failure(by_id.pop(event_id), POISON_ERROR, permanent=True))
    return [event for event in events if event.event_id not in poisoned] if poisoned else events


def _park_or_release(
    held: list[AnyEvent], failures: list[Failure], outbox: OutboxStore
) -> tuple[dict[uuid.UUID, uuid.UUID], list[uuid.UUID]]:
    """Held events behind a permanently failing event of their aggregate are parked, others released."""
    if not held:
        return {}, []
    blockers: dict[uuid.UUID, tuple[uuid.UUID, int]] = {}
    for failure in sorted(failures, key=lambda f: _version(f.document)):
        aggregate_id = failure.document.get(F.AGGREGATE_ID)
        if isinstance(aggregate_id, uuid.UUID):
            blockers.setdefault(aggregate_id, (failure.document["_id"], _version(failure.document)))
    unexplained = {event.aggregate_id for event in held} - set(blockers)
    if unexplained:
        # Only when events are held: is an earlier event of theirs failing or dead (in the outbox)?
        for aggregate_id, blocker in outbox.blockers(unexplained).items():
            blockers.setdefault(aggregate_id, blocker)
    parked: dict[uuid.UUID, uuid.UUID] = {}
    released: list[uuid.UUID] = []
    for event in held:
        found = blockers.get(event.aggregate_id)
        if found is not None and found[1] < event.version:
            parked[event.event_id] = found[0]
        else:
            released.append(event.event_id)
    return parked, released


def _version(document: Document) -> int:
    try:
        return int(document.get(F.AGGREGATE_VERSION) or 0)
    except (TypeError, ValueError):
        return 0


def dead_letter_flags(dead: list[tuple[Document, str]]) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """Account id → (the dead entry, why the account needs attention), for ``flag_accounts``."""
    flags: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
    for document, error in dead:
        aggregate_id = document.get(F.AGGREGATE_ID)
        if not isinstance(aggregate_id, uuid.UUID):
            continue
        event = f"{document.get(F.EVENT_TYPE, '?')} v{document.get(F.AGGREGATE_VERSION, '?')}"
        flags.setdefault(
            aggregate_id, (document["_id"], f"{event} ({document['_id']}) is a dead letter: {error}")
        )
    return flags


def _log_held(applied: Outcome, parked: dict[uuid.UUID, uuid.UUID], released: list[uuid.UUID]) -> None:
    if released:
        held = [event for event in applied.held_events if event.event_id not in parked]
        logger.info(
            "held back %d events ahead of their aggregate's version: %s",
            len(released),
            ", ".join(f"{e.aggregate_id}@v{e.version}" for e in held[:10]),
        )
    if parked:
        logger.warning("parked %d events behind a failing event of their aggregate", len(parked))


def _was_failing(document: Document) -> bool:
    # Any earlier failed attempt (a retried dead letter has its permanent count reset, not this).
    return bool(document.get(F.ATTEMPTS) or document.get(F.SKIP))
