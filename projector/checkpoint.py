"""Sync engine persistence: load and save the change-stream resume token (MySQL, in-transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import bson
from django.utils import timezone

from projector.models import Checkpoint

STREAM_CHECKPOINT = "outbox-stream"


@dataclass(frozen=True)
class CheckpointUpdate:
    """What a batch writes to the checkpoint row inside its projection transaction."""

    resume_token: Mapping[str, Any] | None = None
    applied: int = 0
    last_event_occurred_at: datetime | None = None
    lag_ms: float | None = None


def load_resume_token(name: str = STREAM_CHECKPOINT) -> dict[str, Any] | None:
    row = Checkpoint.objects.filter(name=name).only("resume_token").first()
    if row is None or row.resume_token is None:
        return None
    return dict(bson.decode(bytes(row.resume_token)))


def save_checkpoint(update: CheckpointUpdate, name: str = STREAM_CHECKPOINT) -> None:
    """Write the checkpoint; call it inside the transaction that applies the batch."""
    now = timezone.now()
    row = Checkpoint.objects.select_for_update().filter(name=name).first()
    if row is None:
        row = Checkpoint(name=name, updated_at=now)
    row.updated_at = now
    if update.resume_token is not None:
        row.resume_token = bson.encode(dict(update.resume_token))
    if update.applied:
        row.events_applied += update.applied
        row.last_applied_at = now
        row.last_event_occurred_at = update.last_event_occurred_at
        row.last_batch_lag_ms = update.lag_ms
    row.save()


def clear_resume_token(name: str = STREAM_CHECKPOINT) -> None:
    """Forget the resume token (history lost): the next stream starts now, after a sweep."""
    Checkpoint.objects.filter(name=name).update(resume_token=None, updated_at=timezone.now())
