"""Sync engine adapter: the MongoDB outbox — catch-up queries, the change stream, delivery state.

Delivery state is written only after the MySQL transaction that applied the events has
committed (done), or failed (failed, with attempts and an exponential backoff). In between,
an entry is ``in_progress`` under a lease; an expired lease means its applier died.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.change_stream import CollectionChangeStream
from pymongo.collection import Collection

from accounts_write.contract import OutboxField as F
from accounts_write.contract import OutboxStatus

Document = Mapping[str, Any]

UNFINISHED = [OutboxStatus.PENDING.value, OutboxStatus.IN_PROGRESS.value, OutboxStatus.FAILED.value]
VERSION_ORDER = [(F.AGGREGATE_ID, ASCENDING), (F.AGGREGATE_VERSION, ASCENDING)]
MAX_ERROR_LENGTH = 2000


@dataclass(frozen=True)
class Backoff:
    """Delay before retry number ``attempts`` (1-based): base · 2^(attempts-1), capped."""

    base_seconds: float
    max_seconds: float

    def delay(self, attempts: int) -> timedelta:
        exponent = max(0, min(attempts - 1, 30))
        return timedelta(seconds=min(self.max_seconds, self.base_seconds * (2**exponent)))


class OutboxStore:
    """The outbox collection as the projector and the retry sweep use it."""

    def __init__(self, collection: Collection[Any], *, backoff: Backoff, entry_lease: timedelta) -> None:
        self.collection = collection
        self.backoff = backoff
        self.entry_lease = entry_lease

    def ensure_indexes(self) -> None:
        """The projector's own backlog index (creating an existing index is a no-op)."""
        self.collection.create_index(
            [(F.STATUS, ASCENDING), *VERSION_ORDER], name="projector_backlog_in_version_order"
        )

    # --- reading ------------------------------------------------------------------------------
    def watch(
        self, *, resume_after: Mapping[str, Any] | None, max_await_ms: int, batch_size: int
    ) -> CollectionChangeStream[Any]:
        """Inserts into the outbox, from ``resume_after`` (or from now)."""
        return self.collection.watch(
            [{"$match": {"operationType": "insert"}}],
            resume_after=resume_after,
            max_await_time_ms=max_await_ms,
            batch_size=batch_size,
        )

    def unfinished(self, *, batch_size: int) -> Iterator[Document]:
        """Every entry not done and not dead, per aggregate in version order."""
        return iter(
            self.collection.find({F.STATUS: {"$in": UNFINISHED}}, sort=VERSION_ORDER, batch_size=batch_size)
        )

    def due(self, *, now: datetime, pending_before: datetime, limit: int) -> list[Document]:
        """Entries to retry: failed and due, in_progress with an expired lease, pending too long."""
        query = {
            "$or": [
                {F.STATUS: OutboxStatus.FAILED.value, F.NEXT_ATTEMPT_AT: {"$lte": now}},
                {F.STATUS: OutboxStatus.FAILED.value, F.NEXT_ATTEMPT_AT: None},
                {F.STATUS: OutboxStatus.IN_PROGRESS.value, F.LEASE_UNTIL: {"$lt": now}},
                {F.STATUS: OutboxStatus.PENDING.value, F.OCCURRED_AT: {"$lt": pending_before}},
            ]
        }
        return list(self.collection.find(query, sort=VERSION_ORDER, limit=limit))

    def count_by_status(self) -> dict[str, int]:
        count = self.collection.count_documents
        return {status.value: count({F.STATUS: status.value}) for status in OutboxStatus}

    def latest(self, limit: int) -> list[Document]:
        """The ``limit`` most recent entries, newest first (for the demo page)."""
        return list(self.collection.find({}, sort=[(F.OCCURRED_AT, DESCENDING)], limit=limit))

    def history(self, aggregate_id: uuid.UUID, limit: int) -> list[Document]:
        """The last ``limit`` entries of one aggregate, in version order."""
        newest = self.collection.find(
            {F.AGGREGATE_ID: aggregate_id}, sort=[(F.AGGREGATE_VERSION, DESCENDING)], limit=limit
        )
        return list(newest)[::-1]

    def oldest_unfinished(self) -> Document | None:
        return self.collection.find_one(
            {F.STATUS: {"$in": UNFINISHED}}, sort=[(F.OCCURRED_AT, ASCENDING)], projection=[F.OCCURRED_AT]
        )

    # --- delivery state -----------------------------------------------------------------------
    def claim(self, ids: Sequence[uuid.UUID], *, owner: str, now: datetime) -> None:
        """The leader takes the entries it is about to apply (anything not yet done or dead)."""
        self._update_each(ids, {F.STATUS: {"$in": UNFINISHED}}, {"$set": self._lease(owner, now)})

    def claim_unleased(self, ids: Sequence[uuid.UUID], *, owner: str, now: datetime) -> set[uuid.UUID]:
        """Take only entries nobody holds a live lease on; return the ids actually taken."""
        if not ids:
            return set()
        self.collection.update_many(
            {
                "_id": {"$in": list(ids)},
                F.STATUS: {"$in": UNFINISHED},
                "$or": [{F.STATUS: {"$ne": OutboxStatus.IN_PROGRESS.value}}, {F.LEASE_UNTIL: {"$lt": now}}],
            },
            {"$set": self._lease(owner, now)},
        )
        taken = self.collection.find({"_id": {"$in": list(ids)}, F.LEASE_OWNER: owner}, projection=["_id"])
        return {doc["_id"] for doc in taken}

    def mark_done(self, ids: Sequence[uuid.UUID], *, now: datetime) -> None:
        done = {
            F.STATUS: OutboxStatus.DONE.value,
            F.PROJECTED_AT: now,
            F.NEXT_ATTEMPT_AT: None,
            F.LEASE_OWNER: None,
            F.LEASE_UNTIL: None,
        }
        self._update_each(ids, {}, {"$set": done})

    def mark_failed(self, entries: Iterable[tuple[Document, str]], *, now: datetime) -> None:
        """Record a failed attempt per entry; an entry already done stays done."""
        updates = []
        for document, error in entries:
            attempts = int(document.get(F.ATTEMPTS) or 0) + 1
            updates.append(
                UpdateOne(
                    {"_id": document["_id"], F.STATUS: {"$in": UNFINISHED}},
                    {
                        "$set": {
                            F.STATUS: OutboxStatus.FAILED.value,
                            F.ATTEMPTS: attempts,
                            F.LAST_ERROR: error[:MAX_ERROR_LENGTH],
                            F.NEXT_ATTEMPT_AT: now + self.backoff.delay(attempts),
                            F.LEASE_OWNER: None,
                            F.LEASE_UNTIL: None,
                        }
                    },
                )
            )
        if updates:
            self.collection.bulk_write(updates, ordered=False)

    def release(self, ids: Sequence[uuid.UUID]) -> None:
        """Held-back entries go back to pending: they wait for their predecessor, not a backoff."""
        pending = {F.STATUS: OutboxStatus.PENDING.value, F.LEASE_OWNER: None, F.LEASE_UNTIL: None}
        self._update_each(ids, {F.STATUS: {"$in": UNFINISHED}}, {"$set": pending})

    def _update_each(
        self, ids: Sequence[uuid.UUID], condition: dict[str, Any], update: dict[str, Any]
    ) -> None:
        """One multi-update over the ids (an ``$in`` on ``_id``: point lookups in the _id index).

        Not a retryable write (multi-document), unlike per-id UpdateOne; it need not be: the update
        is idempotent, and one that fails leaves entries unfinished, to be re-delivered as duplicates.
        """
        if ids:
            self.collection.update_many({"_id": {"$in": list(ids)}, **condition}, update)

    def _lease(self, owner: str, now: datetime) -> dict[str, Any]:
        return {
            F.STATUS: OutboxStatus.IN_PROGRESS.value,
            F.LEASE_OWNER: owner,
            F.LEASE_UNTIL: now + self.entry_lease,
        }
