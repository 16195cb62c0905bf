"""Delivery: read-only Django admin for the read models (the projector is their only writer)."""

from __future__ import annotations

from django.contrib import admin

from accounts_read.models import AccountView, DailyTotal, LedgerLine
from config.admin import ReadOnlyModelAdmin


@admin.register(AccountView)
class AccountViewAdmin(ReadOnlyModelAdmin):
    list_display = ("account_id", "owner", "currency", "balance", "status", "version", "updated_at")
    list_filter = ("status", "currency")
    search_fields = ("owner", "account_id")
    date_hierarchy = "opened_at"


@admin.register(LedgerLine)
class LedgerLineAdmin(ReadOnlyModelAdmin):
    list_display = ("account_id", "aggregate_version", "entry_type", "amount", "balance_after", "occurred_at")
    list_filter = ("entry_type",)
    search_fields = ("=account__account_id", "=event_id", "=transfer_id")
    list_select_related = ("account",)


@admin.register(DailyTotal)
class DailyTotalAdmin(ReadOnlyModelAdmin):
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
