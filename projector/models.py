"""Sync engine persistence (MySQL): checkpoint, lease, pause switch, fence, replay, reconcile, prune.

Also ``OutboxEntry``: an unmanaged model with no table, through which the admin lists the MongoDB
outbox under "Projector" with permissions of its own (ADR 0013).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models

from accounts_write.contract import OutboxField as F

# The replay's shadow read-model tables are models of this app (unmanaged): registered here.
from projector.shadow import AccountViewShadow, DailyTotalShadow, LedgerLineShadow

__all__ = [
    "AccountViewShadow",
    "Checkpoint",
    "DailyTotalShadow",
    "LedgerLineShadow",
    "OutboxEntry",
    "ProjectorControl",
    "ProjectorLease",
    "PruneRecord",
    "PrunedHistory",
    "ReadModelFence",
    "ReconcileReport",
    "ReplayRun",
    "ReplayState",
]


class Checkpoint(models.Model):
    """Where the change stream resumes; written in the same transaction as the projection."""

    name = models.CharField(max_length=50, primary_key=True)
    # The BSON-encoded resume token (opaque); null until the first stream batch.
    resume_token = models.BinaryField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField()
    # Facts about the last batch, for /api/sync/status and operators.
    last_applied_at = models.DateTimeField(null=True, blank=True)
    last_batch_lag_ms = models.FloatField(null=True, blank=True)
    events_applied = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"checkpoint {self.name} at {self.updated_at:%Y-%m-%d %H:%M:%S}"


class ProjectorLease(models.Model):
    """Leadership: the projector named ``owner`` is active until ``expires_at`` unless renewed."""

    name = models.CharField(max_length=50, primary_key=True)
    owner = models.CharField(max_length=200, blank=True, default="")
    acquired_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"lease {self.name} held by {self.owner or 'nobody'}"


class ReadModelFence(models.Model):
    """A row every applier share-locks per transaction; a replay's swap locks it exclusively.

    While a replay swaps its shadow tables in, no projection transaction can be half way through
    the live tables, and none starts until the swap is done (ADR 0011).
    """

    name = models.CharField(max_length=50, primary_key=True)

    def __str__(self) -> str:
        return f"fence {self.name}"


class OutboxEntry(models.Model):
    """An outbox event as the admin shows it; the document lives in MongoDB, never in a table.

    Never queried through the ORM (the admin reads MongoDB, ``projector/admin_outbox*``). It gives
    the admin a place under "Projector" and two permissions: view (see the outbox) and change
    (retry or skip dead letters).
    """

    event_id = models.UUIDField(primary_key=True)
    aggregate_id = models.UUIDField(null=True)
    aggregate_version = models.IntegerField(null=True)
    event_type = models.CharField(max_length=100)
    status = models.CharField(max_length=20)
    occurred_at = models.DateTimeField(null=True)
    attempts = models.IntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    parked_behind = models.UUIDField(null=True)

    class Meta:
        managed = False
        # No such table exists: the outbox is the MongoDB collection of the write side.
        db_table = "projector_outbox_in_mongodb"
        verbose_name = "outbox entry"
        verbose_name_plural = "outbox entries"
        default_permissions = ("view", "change")

    def __str__(self) -> str:
        return f"{self.event_type} v{self.aggregate_version} of {self.aggregate_id} ({self.event_id})"

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> OutboxEntry:
        return cls(
            event_id=document["_id"],
            aggregate_id=document.get(F.AGGREGATE_ID),
            aggregate_version=document.get(F.AGGREGATE_VERSION),
            event_type=str(document.get(F.EVENT_TYPE) or "?"),
            status=str(document.get(F.STATUS) or "?"),
            occurred_at=document.get(F.OCCURRED_AT),
            attempts=int(document.get(F.ATTEMPTS) or 0),
            last_error=str(document.get(F.LAST_ERROR) or ""),
            parked_behind=document.get(F.PARKED_BEHIND),
        )


class ReplayState(models.TextChoices):
    BUILDING = "building", "Building the shadow tables"
    CATCHING_UP = "catching_up", "Catching up with the live tables"
    DONE = "done", "Swapped in"
    FAILED = "failed", "Failed"


class ReplayRun(models.Model):
    """A full (blue/green) replay: where it stands, so that a killed one resumes where it was."""

    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=ReplayState.choices)
    # The last aggregate whose events were applied to the shadow tables (resume from it).
    position = models.UUIDField(null=True, blank=True)
    events_seen = models.PositiveBigIntegerField(default=0)
    events_applied = models.PositiveBigIntegerField(default=0)
    accounts_carried_over = models.PositiveIntegerField(default=0)
    started_by = models.CharField(max_length=200, blank=True, default="")
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("-started_at",)

    def __str__(self) -> str:
        return f"replay {self.pk} started {self.started_at:%Y-%m-%d %H:%M:%S} ({self.state})"


class ReconcileReport(models.Model):
    """The result of one reconcile run: what it checked, the drift it found, what it fixed."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    scope = models.CharField(max_length=60, help_text="all, or the account id checked")
    trigger = models.CharField(max_length=30, help_text="command, beat or demo")
    checked = models.PositiveIntegerField()
    drifted = models.PositiveIntegerField(help_text="Accounts with drift left after the run (and any fix).")
    lagging = models.PositiveIntegerField()
    attention = models.PositiveIntegerField(default=0)
    fixed = models.PositiveIntegerField(default=0)
    # {"drifted": [...], "lagging": [...], "fixed": [...]}, each list cut at REPORT_ITEM_LIMIT.
    details = models.JSONField(default=dict)

    class Meta:
        ordering = ("-started_at",)
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return (
            f"reconcile {self.started_at:%Y-%m-%d %H:%M:%S}: {self.checked} checked, {self.drifted} drifted"
        )


class PruneRecord(models.Model):
    """One ``pruneoutbox`` run: what it deleted, and the day before which history is gone."""

    pruned_at = models.DateTimeField()
    # Outbox entries that occurred before this (UTC midnight) were deleted; a replay carries the
    # accounts and daily totals of that history over from the live tables (ADR 0012).
    history_before = models.DateTimeField()
    outbox_deleted = models.PositiveBigIntegerField()
    commands_deleted = models.PositiveBigIntegerField()
    pruned_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ("-pruned_at",)
        get_latest_by = "pruned_at"

    def __str__(self) -> str:
        return f"prune {self.pruned_at:%Y-%m-%d %H:%M:%S}: history before {self.history_before:%Y-%m-%d}"


class PrunedHistory(models.Model):
    """How far an account's events were pruned from the outbox: versions 1..through_version are gone.

    A replay seeds such an account from the live tables as of ``through_version`` (its ledger lines
    up to there are kept) and applies the events that remain (ADR 0012).
    """

    account_id = models.UUIDField(primary_key=True)
    through_version = models.PositiveIntegerField()
    pruned_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "pruned histories"

    def __str__(self) -> str:
        return f"{self.account_id} pruned through v{self.through_version}"


class ProjectorControl(models.Model):
    """An operator's switch for the projector: while ``paused``, it keeps its lease and applies nothing.

    ``poisoned_account`` is a demo fault (read only where ``DEMO_FAULTS`` is on, ADR 0022): the
    projector fails that account's events, which go dead and park the later ones behind them.
    """

    name = models.CharField(max_length=50, primary_key=True)
    paused = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)
    poisoned_account = models.UUIDField(null=True, blank=True)

    def __str__(self) -> str:
        return f"projector {self.name}: {'paused' if self.paused else 'running'}"
