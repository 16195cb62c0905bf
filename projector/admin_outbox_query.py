"""Delivery: the admin's reading of the MongoDB outbox — filters, search, counts per status, pages.

The parameters of the outbox changelist (``status``, ``type``, ``aggregate``, ``q``, ``p``) become
one MongoDB filter; pages are read with skip/limit through Django's ``Paginator``. Every query
here is served by an index of the outbox (status, aggregate and version, occurrence time).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pymongo import ASCENDING, DESCENDING

from accounts_write.contract import EventType, OutboxStatus
from accounts_write.contract import OutboxField as F
from projector.models import OutboxEntry
from projector.outbox import VERSION_ORDER, Document, OutboxStore

STATUS_VAR, TYPE_VAR, AGGREGATE_VAR, SEARCH_VAR, PAGE_VAR = "status", "type", "aggregate", "q", "p"
FILTER_VARS = (STATUS_VAR, TYPE_VAR, AGGREGATE_VAR, SEARCH_VAR)
# Entries that are not simply done: where unknown event types turn up (a small, indexed set).
NOT_DONE = [status.value for status in OutboxStatus if status is not OutboxStatus.DONE]
NEWEST_FIRST = [(F.OCCURRED_AT, DESCENDING), ("_id", ASCENDING)]
PARKED_SHOWN = 100


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        return None


@dataclass(frozen=True)
class OutboxFilters:
    """What the operator asked for; ``errors`` says which parameters made no sense (no results then)."""

    status: str = ""
    event_type: str = ""
    aggregate_id: uuid.UUID | None = None
    search: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> OutboxFilters:
        errors: list[str] = []
        status = params.get(STATUS_VAR, "").strip()
        if status and status not in {known.value for known in OutboxStatus}:
            errors.append(f"“{status}” is not an outbox status.")
        raw_aggregate = params.get(AGGREGATE_VAR, "").strip()
        aggregate_id = parse_uuid(raw_aggregate) if raw_aggregate else None
        if raw_aggregate and aggregate_id is None:
            errors.append(f"“{raw_aggregate}” is not an account id (a UUID).")
        search = params.get(SEARCH_VAR, "").strip()
        if search and parse_uuid(search) is None:
            errors.append(f"Search by an event id or an account id (a whole UUID), not “{search}”.")
        event_type = params.get(TYPE_VAR, "").strip()
        return cls(status, event_type, aggregate_id, search, errors)

    @property
    def active(self) -> bool:
        return bool(self.status or self.event_type or self.aggregate_id or self.search)

    def query(self, *, with_status: bool = True) -> dict[str, Any]:
        """The MongoDB filter (``with_status=False``: every status, for the counts per status)."""
        query: dict[str, Any] = {}
        if with_status and self.status:
            query[F.STATUS] = self.status
        if self.event_type:
            query[F.EVENT_TYPE] = self.event_type
        if self.aggregate_id is not None:
            query[F.AGGREGATE_ID] = self.aggregate_id
        searched = parse_uuid(self.search) if self.search else None
        if searched is not None:
            query["$or"] = [{"_id": searched}, {F.AGGREGATE_ID: searched}]
        return query

    def sort(self) -> list[tuple[str, int]]:
        """One account's entries newest version first; across accounts, newest occurrence first."""
        if self.aggregate_id is not None:
            return [(F.AGGREGATE_VERSION, DESCENDING)]
        return NEWEST_FIRST


class OutboxListing:
    """The entries matching the filters, sliceable and countable as Django's ``Paginator`` wants."""

    def __init__(self, outbox: OutboxStore, filters: OutboxFilters) -> None:
        self.collection = outbox.collection
        self.filters = filters
        self.status_counts = self._status_counts()

    def _status_counts(self) -> dict[str, int]:
        if self.filters.errors:
            return {status.value: 0 for status in OutboxStatus}
        base = self.filters.query(with_status=False)
        count = self.collection.count_documents
        return {status.value: count({**base, F.STATUS: status.value}) for status in OutboxStatus}

    def count(self) -> int:
        if self.filters.errors:
            return 0
        if self.filters.status:
            return self.status_counts.get(self.filters.status, 0)
        return sum(self.status_counts.values())

    def __getitem__(self, window: slice) -> list[OutboxEntry]:
        if self.filters.errors:
            return []
        start, stop = window.start or 0, window.stop
        if stop is not None and stop <= start:
            return []
        limit = stop - start if stop is not None else 0
        cursor = self.collection.find(self.filters.query(), sort=self.filters.sort(), skip=start, limit=limit)
        return [OutboxEntry.from_document(document) for document in cursor]

    def event_types(self) -> list[str]:
        """The contract's types, and any other type among entries not done (poison events)."""
        seen = self.collection.distinct(F.EVENT_TYPE, {F.STATUS: {"$in": NOT_DONE}})
        return sorted({str(kind) for kind in EventType} | {str(kind) for kind in seen if kind})


@dataclass(frozen=True)
class EntryDetail:
    """One entry, the entry it waits behind (if parked), and the entries parked behind it."""

    document: Document
    blocker: Document | None
    parked: list[Document]
    parked_total: int


def entry_detail(outbox: OutboxStore, event_id: uuid.UUID) -> EntryDetail | None:
    document = outbox.get(event_id)
    if document is None:
        return None
    behind = document.get(F.PARKED_BEHIND)
    blocker = outbox.get(behind) if behind is not None else None
    query = {F.STATUS: OutboxStatus.PARKED.value, F.PARKED_BEHIND: event_id}
    parked = list(outbox.collection.find(query, sort=VERSION_ORDER, limit=PARKED_SHOWN))
    total = len(parked) if len(parked) < PARKED_SHOWN else outbox.collection.count_documents(query)
    return EntryDetail(document, blocker, parked, total)
