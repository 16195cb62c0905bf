"""Delivery: what the outbox admin pages show — filter choices, page links, entry sections, messages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Page
from django.http import HttpRequest

from accounts_write.contract import OutboxField as F
from accounts_write.contract import OutboxStatus
from projector import deadletters
from projector.admin_outbox_query import (
    AGGREGATE_VAR,
    FILTER_VARS,
    PAGE_VAR,
    SEARCH_VAR,
    STATUS_VAR,
    TYPE_VAR,
    EntryDetail,
    OutboxFilters,
    OutboxListing,
)
from projector.documents import to_jsonable
from projector.models import OutboxEntry
from projector.outbox import Document


def describe(result: deadletters.ActionResult) -> tuple[int, str]:
    """The admin message for what a retry or a skip did."""
    released = f" {result.released} parked event(s) released." if result.released else ""
    if not result.succeeded:
        failed = "failed again" if result.action == "retry" else "failed"
        return messages.ERROR, (
            f"The {result.action} of {result.event_id} {failed}: {result.error}. The entry is "
            f"{result.status}; the events parked behind it stay parked."
        )
    if result.action == "skip":
        return messages.SUCCESS, (
            f"Skipped {result.event_id}: its version was consumed without effect, and its account is "
            f"flagged as needing attention.{released}"
        )
    if result.status == OutboxStatus.DONE.value:
        return messages.SUCCESS, f"Retried {result.event_id}: applied.{released}"
    return messages.WARNING, (
        f"Retried {result.event_id}: it is now {result.status}, waiting for an earlier event of its account."
    )


def changelist_context(
    request: HttpRequest,
    filters: OutboxFilters,
    listing: OutboxListing,
    page: Page[OutboxEntry],
    event_types: list[str],
) -> dict[str, Any]:
    return {
        "filters": filters,
        "page": page,
        "page_links": page_links(request, page),
        "status_choices": status_choices(request, filters, listing.status_counts),
        "type_choices": choices(request, TYPE_VAR, filters.event_type, [(t, t) for t in event_types]),
        "clear_aggregate": query_string(request, {AGGREGATE_VAR: None, PAGE_VAR: None}),
        "clear_all": query_string(request, dict.fromkeys((*FILTER_VARS, PAGE_VAR))),
        "hidden_params": [(k, v) for k, v in request.GET.items() if k not in (SEARCH_VAR, PAGE_VAR)],
        "search_var": SEARCH_VAR,
    }


def query_string(request: HttpRequest, changes: dict[str, Any]) -> str:
    """This changelist's query string with some parameters changed (``None``: removed)."""
    params = dict(request.GET.items())
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


def page_links(request: HttpRequest, page: Page[OutboxEntry]) -> list[tuple[Any, str | None]]:
    """(number, link) for the pages around this one and at the ends; (…, None) for the gaps."""
    paginator = page.paginator
    numbers = paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return [(n, None if n == paginator.ELLIPSIS else query_string(request, {PAGE_VAR: n})) for n in numbers]


def choices(
    request: HttpRequest, var: str, selected: str, options: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    everything = {
        "label": "All",
        "url": query_string(request, {var: None, PAGE_VAR: None}),
        "selected": not selected,
    }
    return [everything] + [
        {
            "label": label,
            "url": query_string(request, {var: value, PAGE_VAR: None}),
            "selected": value == selected,
        }
        for value, label in options
    ]


def status_choices(
    request: HttpRequest, filters: OutboxFilters, counts: dict[str, int]
) -> list[dict[str, Any]]:
    options = [(status, f"{status} ({count})") for status, count in counts.items()]
    listed = choices(request, STATUS_VAR, filters.status, options)
    listed[0]["label"] = f"All ({sum(counts.values())})"
    return listed


EVENT_FIELDS = [
    ("Occurred at", F.OCCURRED_AT),
    ("Schema version", F.SCHEMA_VERSION),
    ("Aggregate type", F.AGGREGATE_TYPE),
    ("Command id", F.COMMAND_ID),
    ("Correlation id", F.CORRELATION_ID),
]
DELIVERY_FIELDS = [
    ("Attempts", F.ATTEMPTS),
    ("Permanent failures", F.PERMANENT_FAILURES),
    ("Last error", F.LAST_ERROR),
    ("Next attempt at", F.NEXT_ATTEMPT_AT),
    ("Lease owner", F.LEASE_OWNER),
    ("Lease until", F.LEASE_UNTIL),
    ("Projected at", F.PROJECTED_AT),
    ("Died at", F.DIED_AT),
]


def entry_context(detail: EntryDetail) -> dict[str, Any]:
    document = detail.document
    status = str(document.get(F.STATUS) or "")
    return {
        "entry": OutboxEntry.from_document(document),
        "document": document,
        "dead": status == OutboxStatus.DEAD.value,
        "payload": pretty(document.get(F.PAYLOAD) or {}),
        "raw": pretty(document),
        "history": [timed(attempt) for attempt in reversed(document.get(F.ATTEMPT_HISTORY) or [])],
        "audit": [timed(action) for action in document.get(F.AUDIT) or []],
        "skip": timed(document[F.SKIP]) if document.get(F.SKIP) else None,
        "blocker": OutboxEntry.from_document(detail.blocker) if detail.blocker else None,
        "parked": [OutboxEntry.from_document(doc) for doc in detail.parked],
        "parked_total": detail.parked_total,
        "delivery": shown(document, DELIVERY_FIELDS),
        "event": shown(document, EVENT_FIELDS),
    }


def shown(document: Document, fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(label, text) per field: times in UTC to the millisecond, absent values as a dash."""
    return [(label, text(document.get(key))) for label, key in fields]


def timed(record: Mapping[str, Any]) -> dict[str, Any]:
    """An attempt, audit or skip record with its time as text."""
    return {**record, "at": text(record.get("at"))}


def text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"
    return "—" if value is None or value == "" else str(value)


def pretty(value: Any) -> str:
    return json.dumps(to_jsonable(value), indent=2, sort_keys=True, ensure_ascii=False)
