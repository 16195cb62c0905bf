"""Sync engine core: apply a batch of events to the read models in ONE MySQL transaction.

The per-aggregate version gate makes it idempotent: for each event (sorted by aggregate and
version, so a batch heals its own reordering) the account row is locked; an event at or below
the row's version is a duplicate and skipped, the next version is applied, and one further
ahead is held back for the missing event to arrive first. The change-stream checkpoint is saved
in the same transaction, so a crash either keeps the batch and its checkpoint or neither.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts_read.models import AccountView
from projector import metrics
from projector.checkpoint import CheckpointUpdate, save_checkpoint
from projector.events import ProjectorEvent
from projector.leader import LeaderLease
from projector.projections import BatchChanges, ProjectionError, project
from projector.read_model_writes import save_changes


@dataclass
class ApplyReport:
    """What happened to each event of a batch."""

    applied: list[ProjectorEvent] = field(default_factory=list)
    duplicates: list[ProjectorEvent] = field(default_factory=list)
    held: list[ProjectorEvent] = field(default_factory=list)
    failed: dict[uuid.UUID, str] = field(default_factory=dict)

    @property
    def done_ids(self) -> list[uuid.UUID]:
        """Events whose effect is in the read models: applied now or before."""
        return [event.event_id for event in (*self.applied, *self.duplicates)]

    @property
    def held_ids(self) -> list[uuid.UUID]:
        return [event.event_id for event in self.held]


def apply_events(
    events: Iterable[ProjectorEvent],
    *,
    checkpoint: CheckpointUpdate | None = None,
    fence: LeaderLease | None = None,
) -> ApplyReport:
    """Apply ``events`` and save ``checkpoint`` atomically; database errors roll everything back."""
    ordered = sorted({event.event_id: event for event in events}.values(), key=lambda e: e.order_key)
    report = ApplyReport()
    started = time.perf_counter()
    with transaction.atomic():
        if fence is not None:
            fence.assert_held()
        accounts = _lock_accounts({event.aggregate_id for event in ordered})
        changes = BatchChanges()
        for event in ordered:
            _gate(event, accounts, changes, report)
        _save(changes)
        if checkpoint is not None:
            save_checkpoint(_with_batch_facts(checkpoint, report.applied))
    _observe(report, time.perf_counter() - started)
    return report


def _lock_accounts(account_ids: set[uuid.UUID]) -> dict[uuid.UUID, AccountView]:
    if not account_ids:
        return {}
    # Locking in primary-key order keeps two concurrent appliers (projector and retry) deadlock-free.
    rows = AccountView.objects.select_for_update().filter(account_id__in=account_ids).order_by("account_id")
    return {row.account_id: row for row in rows}


def _gate(
    event: ProjectorEvent, accounts: dict[uuid.UUID, AccountView], changes: BatchChanges, report: ApplyReport
) -> None:
    account = accounts.get(event.aggregate_id)
    current = account.version if account is not None else 0
    if event.version <= current:
        report.duplicates.append(event)
    elif event.version > current + 1:
        report.held.append(event)
    else:
        try:
            accounts[event.aggregate_id] = project(event, account, changes)
        except ProjectionError as exc:
            report.failed[event.event_id] = f"ProjectionError: {exc}"
        else:
            report.applied.append(event)


def _save(changes: BatchChanges) -> None:
    save_changes(changes)  # a few hand-written statements: the ORM's bulk_update costs more than MySQL


def _with_batch_facts(checkpoint: CheckpointUpdate, applied: list[ProjectorEvent]) -> CheckpointUpdate:
    if not applied:
        return checkpoint
    newest: datetime = max(event.occurred_at for event in applied)
    oldest: datetime = min(event.occurred_at for event in applied)
    return CheckpointUpdate(
        resume_token=checkpoint.resume_token,
        applied=len(applied),
        last_event_occurred_at=newest,
        lag_ms=(timezone.now() - oldest).total_seconds() * 1000,
    )


def _observe(report: ApplyReport, seconds: float) -> None:
    metrics.BATCH_SECONDS.observe(seconds)
    metrics.BATCH_SIZE.observe(len(report.applied))
    for outcome, count in (
        ("applied", len(report.applied)),
        ("duplicate", len(report.duplicates)),
        ("held", len(report.held)),
        ("failed", len(report.failed)),
    ):
        if count:
            metrics.EVENTS.labels(outcome).inc(count)
    now = timezone.now()
    for event in report.applied:
        metrics.LAG_SECONDS.observe(max(0.0, (now - event.occurred_at).total_seconds()))
