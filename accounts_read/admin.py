"""Delivery: read-only Django admin for the read models (the projector is their only writer)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from accounts_read.models import AccountView, DailyTotal, LedgerLine
from config.admin import ReadOnlyModelAdmin

# The outbox lives in MongoDB and is shown by the projector's admin; the read side names its pages
# by URL name only (it never imports the projector).
OUTBOX_CHANGELIST = "admin:projector_outboxentry_changelist"
OUTBOX_ENTRY = "admin:projector_outboxentry_change"


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "needs_attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.exclude(attention="")
        if self.value() == "no":
            return queryset.filter(attention="")
        return queryset


@admin.register(AccountView)
class AccountViewAdmin(ReadOnlyModelAdmin):
    list_display = (
        "account_id",
        "owner",
        "currency",
        "balance",
        "status",
        "version",
        "needs_attention",
        "attention_summary",
        "updated_at",
        "outbox_entries",
    )
    list_filter = ("status", NeedsAttentionFilter, "currency")
    search_fields = ("owner", "account_id")
    date_hierarchy = "opened_at"
    exclude = ("attention_event_id",)  # shown as a link to the outbox entry instead
    readonly_fields = ("needs_attention", "attention_entry", "outbox_entries")

    @admin.display(boolean=True, description="Needs attention")
    def needs_attention(self, account: AccountView) -> bool:
        return account.needs_attention

    @admin.display(description="Attention")
    def attention_summary(self, account: AccountView) -> str:
        return Truncator(account.attention).chars(80)

    @admin.display(description="Event at fault")
    def attention_entry(self, account: AccountView) -> SafeString | str:
        if account.attention_event_id is None:
            return "—"
        url = _reverse(OUTBOX_ENTRY, account.attention_event_id)
        if url is None:
            return str(account.attention_event_id)
        return format_html('<a href="{}">{}</a>', url, account.attention_event_id)

    @admin.display(description="Outbox")
    def outbox_entries(self, account: AccountView) -> SafeString | str:
        url = _reverse(OUTBOX_CHANGELIST)
        if url is None:
            return "—"
        link = '<a href="{}?aggregate={}">this account&#x27;s outbox entries</a>'
        return format_html(link, url, account.account_id)


def _reverse(name: str, *args: object) -> str | None:
    """The admin URL of a projector page, or None where the projector's admin is not installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


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
