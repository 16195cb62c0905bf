"""Delivery: the sync engine in the Django admin — the outbox (from MongoDB), and its MySQL records.

The outbox changelist and its dead-letter actions are in ``projector/admin_outbox``; the rest is
read-only: checkpoint, leader lease, pause switch, reconcile reports, replay runs, prune records.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from config.admin import ReadOnlyModelAdmin
from projector.admin_outbox import OutboxEntryAdmin
from projector.models import (
    Checkpoint,
    OutboxEntry,
    ProjectorControl,
    ProjectorLease,
    PruneRecord,
    ReconcileReport,
    ReplayRun,
)

admin.site.register(OutboxEntry, OutboxEntryAdmin)


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "updated_at", "last_applied_at", "last_batch_lag_ms", "events_applied")
    exclude = ("resume_token",)


@admin.register(ProjectorLease)
class ProjectorLeaseAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "owner", "acquired_at", "heartbeat_at", "expires_at")


@admin.register(ReconcileReport)
class ReconcileReportAdmin(ReadOnlyModelAdmin):
    list_display = (
        "started_at",
        "finished_at",
        "scope",
        "trigger",
        "checked",
        "drifted",
        "lagging",
        "attention",
        "fixed",
    )
    list_filter = ("trigger", "started_at")
    search_fields = ("=scope",)
    date_hierarchy = "started_at"
    exclude = ("details",)
    readonly_fields = ("drifted_accounts", "details_json")

    @admin.display(description="Drift found")
    def drifted_accounts(self, report: ReconcileReport) -> SafeString | str:
        items = (report.details or {}).get("drifted") or []
        rows = [item for item in items if isinstance(item, dict)]
        if not rows:
            return "—"
        cells = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (_outbox_link(row.get("account_id")), row.get("field", ""), row.get("write"), row.get("read"))
                for row in rows
            ),
        )
        header = "<tr><th>Account (its outbox)</th><th>Field</th><th>Write side</th><th>Read side</th></tr>"
        return format_html("<table>{}{}</table>", SafeString(header), cells)

    @admin.display(description="Details (JSON)")
    def details_json(self, report: ReconcileReport) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(report.details, indent=2, sort_keys=True, default=str))


@admin.register(ReplayRun)
class ReplayRunAdmin(ReadOnlyModelAdmin):
    list_display = (
        "id",
        "started_at",
        "state",
        "finished_at",
        "events_seen",
        "events_applied",
        "accounts_carried_over",
        "started_by",
        "short_error",
    )
    list_filter = ("state",)
    date_hierarchy = "started_at"

    @admin.display(description="Error")
    def short_error(self, run: ReplayRun) -> str:
        return Truncator(run.error).chars(120)


@admin.register(PruneRecord)
class PruneRecordAdmin(ReadOnlyModelAdmin):
    list_display = ("pruned_at", "history_before", "outbox_deleted", "commands_deleted", "pruned_by")
    date_hierarchy = "pruned_at"


def _outbox_link(account_id: object) -> SafeString:
    """The account's outbox entries in the admin."""
    url = reverse("admin:projector_outboxentry_changelist")
    return format_html('<a href="{}?aggregate={}">{}</a>', url, account_id, account_id)


@admin.register(ProjectorControl)
class ProjectorControlAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "paused", "changed_at", "poisoned_account")
