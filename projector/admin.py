"""Delivery: read-only Django admin for the sync engine's checkpoint and leader lease."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from projector.models import Checkpoint, ProjectorLease


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the running projector only; shown so operators can see where it stands."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ("name", "updated_at", "last_applied_at", "last_batch_lag_ms", "events_applied")
    exclude = ("resume_token",)


@admin.register(ProjectorLease)
class ProjectorLeaseAdmin(ReadOnlyAdmin):
    list_display = ("name", "owner", "acquired_at", "heartbeat_at", "expires_at")
