"""Sync engine service: dead letters — list, inspect, retry and skip (for the command and the admin).

A dead letter is an outbox entry that failed permanently ``PROJECTOR_MAX_ATTEMPTS`` times; the
later events of its aggregate wait parked behind it. Retrying it gives it fresh attempts and
applies it now; skipping it consumes its version with no effect (the account is flagged as
needing attention) — either way, the parked events are then applied in version order. Both are
audited in the entry (who, when, why).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts_write.contract import OutboxField as F
from accounts_write.contract import OutboxStatus
from projector.delivery import deliver
from projector.outbox import Document, OutboxStore
from projector.retry import release_parked


class DeadLetterError(LookupError):
    """The entry does not exist, or is not a dead letter (so it cannot be retried or skipped)."""


@dataclass(frozen=True)
class DeadLetter:
    event_id: uuid.UUID
    aggregate_id: Any
    version: Any
    event_type: str
    attempts: int
    died_at: datetime | None
    last_error: str
    parked: int

    @classmethod
    def of(cls, document: Document, parked: int) -> DeadLetter:
        return cls(
            event_id=document["_id"],
            aggregate_id=document.get(F.AGGREGATE_ID),
            version=document.get(F.AGGREGATE_VERSION),
            event_type=str(document.get(F.EVENT_TYPE, "?")),
            attempts=int(document.get(F.ATTEMPTS) or 0),
            died_at=document.get(F.DIED_AT),
            last_error=str(document.get(F.LAST_ERROR) or ""),
            parked=parked,
        )


@dataclass(frozen=True)
class DeadLetterDetail:
    letter: DeadLetter
    document: Document
    parked: list[Document]


@dataclass(frozen=True)
class ActionResult:
    """What a retry or a skip did: the entry's status afterwards and the parked events released."""

    event_id: uuid.UUID
    action: str
    status: str
    error: str | None
    released: int

    @property
    def succeeded(self) -> bool:
        """Applied, skipped, or waiting for an earlier event (pending/parked): not failing again."""
        return self.status not in (OutboxStatus.FAILED.value, OutboxStatus.DEAD.value)


def list_dead_letters(outbox: OutboxStore, *, limit: int = 1000) -> list[DeadLetter]:
    documents = outbox.dead_letters(limit=limit)
    parked = outbox.count_parked_behind([doc["_id"] for doc in documents])
    return [DeadLetter.of(doc, parked.get(doc["_id"], 0)) for doc in documents]


def show(outbox: OutboxStore, event_id: uuid.UUID) -> DeadLetterDetail:
    document = outbox.get(event_id)
    if document is None:
        raise DeadLetterError(f"no outbox entry {event_id}")
    parked = outbox.parked_behind([event_id])
    return DeadLetterDetail(DeadLetter.of(document, len(parked)), document, parked)


def retry(outbox: OutboxStore, event_id: uuid.UUID, *, by: str) -> ActionResult:
    """Fresh attempts for a dead letter (after its cause was fixed), applied now."""
    audit = {"at": timezone.now(), "by": by, "action": "retry", "reason": ""}
    _reopen(outbox, event_id, audit, by=by)
    return _apply_now(outbox, event_id, "retry", by)


def retry_all(outbox: OutboxStore, *, by: str) -> list[ActionResult]:
    return [retry(outbox, letter.event_id, by=by) for letter in list_dead_letters(outbox)]


def skip(outbox: OutboxStore, event_id: uuid.UUID, *, reason: str, by: str) -> ActionResult:
    """Consume the dead letter's version without its effect; its account is flagged for attention."""
    if not reason.strip():
        raise ValueError("a skip needs a reason (it is kept in the audit trail and shown on the account)")
    now = timezone.now()
    mark = {"by": by, "at": now, "reason": reason.strip()}
    audit = {"at": now, "by": by, "action": "skip", "reason": reason.strip()}
    _reopen(outbox, event_id, audit, {F.SKIP: mark}, by=by)
    return _apply_now(outbox, event_id, "skip", by)


def _reopen(
    outbox: OutboxStore,
    event_id: uuid.UUID,
    audit: dict[str, Any],
    extra: dict[str, Any] | None = None,
    *,
    by: str,
) -> None:
    if outbox.reopen(event_id, audit, extra, owner=_owner(by), now=timezone.now()):
        return
    document = outbox.get(event_id)
    if document is None:
        raise DeadLetterError(f"no outbox entry {event_id}")
    raise DeadLetterError(f"outbox entry {event_id} is {document.get(F.STATUS)}, not dead")


def _owner(by: str) -> str:
    return f"operator:{by}"


def _apply_now(outbox: OutboxStore, event_id: uuid.UUID, action: str, by: str) -> ActionResult:
    owner = _owner(by)
    document = outbox.get(event_id)
    assert document is not None  # reopened just now; entries are never deleted while dead
    outcome = deliver([document], outbox, owner=owner)
    if event_id in outcome.unblocked:
        release_parked(outbox, [event_id], owner=owner, report=outcome)
    after = outbox.get(event_id) or {}
    status = str(after.get(F.STATUS, "?"))
    failing = status in (OutboxStatus.FAILED.value, OutboxStatus.DEAD.value)
    error = after.get(F.LAST_ERROR) if failing else None
    return ActionResult(event_id, action, status, error, outcome.released)
