"""Sync engine persistence: load and save the change-stream resume token (MySQL, in-transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import bson
from django.db import connection
from django.utils import timezone

from projector.models import Checkpoint

STREAM_CHECKPOINT = "outbox-stream"


@dataclass(frozen=True)
class CheckpointUpdate:
    """What a batch writes to the checkpoint row inside its projection transaction."""

    resume_token: Mapping[str, Any] | None = None
    applied: int = 0
    lag_ms: float | None = None


def load_resume_token(name: str = STREAM_CHECKPOINT) -> dict[str, Any] | None:
    row = Checkpoint.objects.filter(name=name).only("resume_token").first()
    if row is None or row.resume_token is None:
        return None
    return dict(bson.decode(bytes(row.resume_token)))


def save_checkpoint(update: CheckpointUpdate, name: str = STREAM_CHECKPOINT) -> None:
    """Write the checkpoint; call it inside the transaction that applies the batch.

    One statement (insert, or update the existing row, which it locks until the commit): it runs
    once per batch, and a lone event's batch is latency (ADR 0019).
    """
    now = timezone.now()
    values: dict[str, Any] = {"name": name, "updated_at": now, "events_applied": update.applied}
    if update.resume_token is not None:
        values["resume_token"] = bson.encode(dict(update.resume_token))
    if update.applied:
        values.update(last_applied_at=now, last_batch_lag_ms=update.lag_ms)
    columns = {field.attname: field for field in Checkpoint._meta.concrete_fields}
    quote = connection.ops.quote_name
    prepared = {
        key: columns[key].get_db_prep_value(value, connection=connection, prepared=False)
        for key, value in values.items()
    }
    names = ", ".join(quote(columns[key].column) for key in prepared)
    changes = [key for key in prepared if key != "name" and (key != "events_applied" or update.applied)]
    assignments = ", ".join(
        f"{quote(columns[key].column)} = "
        + (f"{quote(columns[key].column)} + %s" if key == "events_applied" else "%s")
        for key in changes
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Checkpoint._meta.db_table)} ({names}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(prepared))}) ON DUPLICATE KEY UPDATE {assignments}",
            [*prepared.values(), *(prepared[key] for key in changes)],
        )


def clear_resume_token(name: str = STREAM_CHECKPOINT) -> None:
    """Forget the resume token (history lost): the next stream starts now, after a sweep."""
    Checkpoint.objects.filter(name=name).update(resume_token=None, updated_at=timezone.now())
