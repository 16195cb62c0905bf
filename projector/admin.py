"""Delivery: read-only Django admin for the sync engine's checkpoint, leader lease and pause switch."""

from __future__ import annotations

from django.contrib import admin

from config.admin import ReadOnlyModelAdmin
from projector.models import Checkpoint, ProjectorControl, ProjectorLease


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "updated_at", "last_applied_at", "last_batch_lag_ms", "events_applied")
    exclude = ("resume_token",)


@admin.register(ProjectorLease)
class ProjectorLeaseAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "owner", "acquired_at", "heartbeat_at", "expires_at")


@admin.register(ProjectorControl)
class ProjectorControlAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "paused", "changed_at")
