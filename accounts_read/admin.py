"""Delivery: read-only Django admin for the read models (the projector is their only writer)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accounts_read.models import AccountView, DailyTotal, LedgerLine


class ReadOnlyAdmin(admin.ModelAdmin):
    """Projections are rebuilt from events, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccountView)
class AccountViewAdmin(ReadOnlyAdmin):
    list_display = ("account_id", "owner", "currency", "balance", "status", "version", "updated_at")
    list_filter = ("status", "currency")
    search_fields = ("owner", "account_id")
    date_hierarchy = "opened_at"


@admin.register(LedgerLine)
class LedgerLineAdmin(ReadOnlyAdmin):
    list_display = ("account_id", "aggregate_version", "entry_type", "amount", "balance_after", "occurred_at")
    list_filter = ("entry_type",)
    search_fields = ("=account__account_id", "=event_id", "=transfer_id")
    list_select_related = ("account",)


@admin.register(DailyTotal)
class DailyTotalAdmin(ReadOnlyAdmin):
    list_display = (
        "day",
        "currency",
        "deposited",
        "withdrawn",
        "transferred",
        "accounts_opened",
        "accounts_closed",
    )
    list_filter = ("currency",)
