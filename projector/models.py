"""Sync engine persistence (MySQL): the change-stream checkpoint, the leader lease and the pause switch."""

from __future__ import annotations

from django.db import models


class Checkpoint(models.Model):
    """Where the change stream resumes; written in the same transaction as the projection."""

    name = models.CharField(max_length=50, primary_key=True)
    # The BSON-encoded resume token (opaque); null until the first stream batch.
    resume_token = models.BinaryField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField()
    # Facts about the last batch, for /api/sync/status and operators.
    last_applied_at = models.DateTimeField(null=True, blank=True)
    last_event_occurred_at = models.DateTimeField(null=True, blank=True)
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


class ProjectorControl(models.Model):
    """An operator's switch for the projector: while ``paused``, it keeps its lease and applies nothing."""

    name = models.CharField(max_length=50, primary_key=True)
    paused = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"projector {self.name}: {'paused' if self.paused else 'running'}"
