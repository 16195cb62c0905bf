"""Sync engine adapter: the MongoDB outbox — catch-up queries, the change stream, delivery state.

Delivery state is written only after the MySQL transaction that applied the events has
committed (done), or failed (failed, with attempts and an exponential backoff). In between,
an entry is ``in_progress`` under a lease; an expired lease means its applier died. An entry
whose permanent failures reach ``max_attempts`` is ``dead``; the later entries of its aggregate
wait ``parked`` behind it until it is retried or skipped (dead letters: ``projector/deadletters``).
The projector's loop writes delivery state in the background (``StatusWriter``, at the end).
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.change_stream import CollectionChangeStream
from pymongo.collection import Collection
from pymongo.errors import PyMongoError

from accounts_write.contract import OutboxField as F
from accounts_write.contract import OutboxStatus

logger = logging.getLogger(__name__)

Document = Mapping[str, Any]

UNFINISHED = [OutboxStatus.PENDING.value, OutboxStatus.IN_PROGRESS.value, OutboxStatus.FAILED.value]
# Entries whose effect is in the read models (or, skipped, consumed without one).
FINISHED = [OutboxStatus.DONE.value, OutboxStatus.SKIPPED.value]
VERSION_ORDER = [(F.AGGREGATE_ID, ASCENDING), (F.AGGREGATE_VERSION, ASCENDING)]
# What an entry's lease becomes when its applier is done with it (whatever the outcome).
NO_LEASE = {F.LEASE_OWNER: None, F.LEASE_UNTIL: None}
MAX_ERROR_LENGTH = 2000
HISTORY_LENGTH = 20
# An entry that fails permanently blocks the later events of its aggregate.
BLOCKING = {
    "$or": [
        {F.STATUS: OutboxStatus.DEAD.value},
        {F.STATUS: OutboxStatus.FAILED.value, F.PERMANENT_FAILURES: {"$gte": 1}},
    ]
}


@dataclass(frozen=True)
class Failure:
    """One failed attempt at one entry: the error, and whether it counts toward ``dead``."""

    document: Document
    error: str
    permanent: bool


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

    def __init__(
        self, collection: Collection[Any], *, backoff: Backoff, entry_lease: timedelta, max_attempts: int = 8
    ) -> None:
        self.collection = collection
        self.backoff = backoff
        self.entry_lease = entry_lease
        self.max_attempts = max_attempts

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

    def everything(self, *, from_aggregate: uuid.UUID | None, batch_size: int) -> Iterator[Document]:
        """Every entry, per aggregate in version order, from ``from_aggregate`` on (replay)."""
        query = {F.AGGREGATE_ID: {"$gte": from_aggregate}} if from_aggregate is not None else {}
        return iter(self.collection.find(query, sort=VERSION_ORDER, batch_size=batch_size))

    def history(
        self, aggregate_ids: Sequence[uuid.UUID], *, after_versions: Mapping[uuid.UUID, int] | None = None
    ) -> list[Document]:
        """The entries of these aggregates in version order (only those above ``after_versions``)."""
        if not aggregate_ids:
            return []
        documents = self.collection.find({F.AGGREGATE_ID: {"$in": list(aggregate_ids)}}, sort=VERSION_ORDER)
        floors = after_versions or {}
        return [
            doc
            for doc in documents
            if int(doc.get(F.AGGREGATE_VERSION) or 0) > floors.get(doc[F.AGGREGATE_ID], 0)
        ]

    def aggregates_since(self, moment: datetime) -> list[uuid.UUID]:
        """Aggregates with an event that occurred at or after ``moment``."""
        return sorted(self.collection.distinct(F.AGGREGATE_ID, {F.OCCURRED_AT: {"$gte": moment}}), key=str)

    def count_all(self) -> int:
        return self.collection.count_documents({})

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

    def recent_history(self, aggregate_id: uuid.UUID, limit: int) -> list[Document]:
        """The last ``limit`` entries of one aggregate, in version order (the demo's timeline)."""
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

    def mark_done(
        self, ids: Sequence[uuid.UUID], *, now: datetime, status: OutboxStatus = OutboxStatus.DONE
    ) -> None:
        done = {F.STATUS: status.value, F.PROJECTED_AT: now, F.NEXT_ATTEMPT_AT: None, **NO_LEASE}
        self._update_each(ids, {}, {"$set": done})

    def dies_after(self, failure: Failure) -> bool:
        """Whether this failure is the entry's last: it reaches ``max_attempts`` permanent failures."""
        return failure.permanent and self._permanent_failures(failure.document) + 1 >= self.max_attempts

    def mark_failed(self, failures: Iterable[Failure], *, now: datetime, owner: str = "") -> None:
        """Record a failed attempt per entry (failed with backoff, or dead); a done entry stays done."""
        updates = [self._failed_update(failure, now, owner) for failure in failures]
        if updates:
            self.collection.bulk_write(updates, ordered=False)

    def _failed_update(self, failure: Failure, now: datetime, owner: str) -> UpdateOne:
        document = failure.document
        attempts = int(document.get(F.ATTEMPTS) or 0) + 1
        permanent_failures = self._permanent_failures(document) + (1 if failure.permanent else 0)
        error = failure.error[:MAX_ERROR_LENGTH]
        state: dict[str, Any] = {
            F.ATTEMPTS: attempts,
            F.PERMANENT_FAILURES: permanent_failures,
            F.LAST_ERROR: error,
            **NO_LEASE,
        }
        if self.dies_after(failure):
            state.update({F.STATUS: OutboxStatus.DEAD.value, F.DIED_AT: now, F.NEXT_ATTEMPT_AT: None})
        else:
            state.update(
                {F.STATUS: OutboxStatus.FAILED.value, F.NEXT_ATTEMPT_AT: now + self.backoff.delay(attempts)}
            )
        attempt = {"at": now, "owner": owner, "error": error, "permanent": failure.permanent}
        return UpdateOne(
            {"_id": document["_id"], F.STATUS: {"$in": UNFINISHED}},
            {"$set": state, "$push": {F.ATTEMPT_HISTORY: {"$each": [attempt], "$slice": -HISTORY_LENGTH}}},
        )

    @staticmethod
    def _permanent_failures(document: Document) -> int:
        return int(document.get(F.PERMANENT_FAILURES) or 0)

    def release(self, ids: Sequence[uuid.UUID]) -> None:
        """Held-back entries go back to pending: they wait for their predecessor, not a backoff."""
        pending = {F.STATUS: OutboxStatus.PENDING.value, **NO_LEASE}
        self._update_each(ids, {F.STATUS: {"$in": UNFINISHED}}, {"$set": pending})

    # --- dead letters and parking --------------------------------------------------------------
    def blockers(self, aggregate_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, int]]:
        """Per aggregate, the lowest-version entry that failed permanently or is dead: (id, version)."""
        ids = list(set(aggregate_ids))
        if not ids:
            return {}
        found: dict[uuid.UUID, tuple[uuid.UUID, int]] = {}
        query = {F.AGGREGATE_ID: {"$in": ids}, **BLOCKING}
        projection = [F.AGGREGATE_ID, F.AGGREGATE_VERSION]
        for doc in self.collection.find(query, projection=projection, sort=VERSION_ORDER):
            found.setdefault(doc[F.AGGREGATE_ID], (doc["_id"], int(doc[F.AGGREGATE_VERSION])))
        return found

    def park(self, parked: Mapping[uuid.UUID, uuid.UUID]) -> None:
        """Entries (id → the blocking entry's id) wait behind a failing entry of their aggregate."""
        by_blocker: dict[uuid.UUID, list[uuid.UUID]] = {}
        for entry_id, blocker_id in parked.items():
            by_blocker.setdefault(blocker_id, []).append(entry_id)
        for blocker_id, ids in by_blocker.items():
            state = {
                F.STATUS: OutboxStatus.PARKED.value,
                F.PARKED_BEHIND: blocker_id,
                F.NEXT_ATTEMPT_AT: None,
                **NO_LEASE,
            }
            self._update_each(ids, {F.STATUS: {"$in": UNFINISHED}}, {"$set": state})

    def parked_behind(self, blocker_ids: Sequence[uuid.UUID]) -> list[Document]:
        """The entries parked behind these, per aggregate in version order."""
        if not blocker_ids:
            return []
        query = {F.STATUS: OutboxStatus.PARKED.value, F.PARKED_BEHIND: {"$in": list(blocker_ids)}}
        return list(self.collection.find(query, sort=VERSION_ORDER))

    def unpark(self, ids: Sequence[uuid.UUID]) -> None:
        """Parked entries become pending again (their blocker is done or skipped)."""
        state = {F.STATUS: OutboxStatus.PENDING.value, F.PARKED_BEHIND: None}
        self._update_each(ids, {F.STATUS: OutboxStatus.PARKED.value}, {"$set": state})

    def orphaned_parked(self, limit: int) -> list[Document]:
        """Parked entries whose blocker is done or skipped (a release interrupted by a crash).

        A blocker being retried (pending, in progress) still holds them: the retry releases them.
        """
        parked = list(
            self.collection.find({F.STATUS: OutboxStatus.PARKED.value}, sort=VERSION_ORDER, limit=limit)
        )
        blocker_ids = list({doc.get(F.PARKED_BEHIND) for doc in parked} - {None})
        unfinished = {
            doc["_id"]
            for doc in self.collection.find(
                {"_id": {"$in": blocker_ids}, F.STATUS: {"$nin": FINISHED}}, projection=["_id"]
            )
        }
        return [doc for doc in parked if doc.get(F.PARKED_BEHIND) not in unfinished]

    def get(self, event_id: uuid.UUID) -> Document | None:
        return self.collection.find_one({"_id": event_id})

    def dead_letters(self, *, limit: int = 1000) -> list[Document]:
        query = {F.STATUS: OutboxStatus.DEAD.value}
        return list(self.collection.find(query, sort=[(F.DIED_AT, ASCENDING)], limit=limit))

    def count_parked_behind(self, blocker_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        counts: dict[uuid.UUID, int] = {}
        for doc in self.parked_behind(blocker_ids):
            counts[doc[F.PARKED_BEHIND]] = counts.get(doc[F.PARKED_BEHIND], 0) + 1
        return counts

    def reopen(
        self,
        event_id: uuid.UUID,
        audit: Mapping[str, Any],
        extra: Mapping[str, Any] | None = None,
        *,
        owner: str,
        now: datetime,
    ) -> bool:
        """A dead entry back in play with fresh attempts, recording the operator's action.

        It comes back leased to the operator who applies it next, not pending: a pending entry
        with an old timestamp is due for the retry sweep, which would apply it (and release its
        parked entries) under the operator's feet. If the operator's process dies before applying
        it, the lease runs out and the sweep takes it over.
        """
        state = {
            **self._lease(owner, now),
            F.PERMANENT_FAILURES: 0,
            F.NEXT_ATTEMPT_AT: None,
            **(extra or {}),
        }
        result = self.collection.update_one(
            {"_id": event_id, F.STATUS: OutboxStatus.DEAD.value},
            {"$set": state, "$push": {F.AUDIT: dict(audit)}},
        )
        return result.modified_count == 1

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


# --- writing delivery state in the background, in order, after each commit ---------------------
# The MySQL transaction of batch N+1 runs while MongoDB records the outcome of batch N, so the two
# round trips overlap instead of adding up (ADR 0028). A status write that never happens (crash, or
# MongoDB down) is harmless: the entry stays unfinished and its re-delivery is a duplicate.

Job = Callable[[], None]


class StatusWriter:
    """One background thread running status writes in submission order; errors surface on the caller."""

    def __init__(self, max_pending: int = 4) -> None:
        # Bounded: a slow MongoDB slows the projector down instead of piling up memory.
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=max_pending)
        self._error: PyMongoError | None = None
        self._thread = threading.Thread(target=self._run, name="outbox-status-writer", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        self.raise_if_failed()
        self._jobs.put(job)

    def raise_if_failed(self) -> None:
        """Re-raise, in the caller's thread, a MongoDB error a status write ran into."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def flush(self) -> None:
        self._jobs.join()
        self.raise_if_failed()

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)

    def __enter__(self) -> StatusWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if kind is None:
                self.flush()
        finally:
            self.close()

    def _run(self) -> None:
        dropped = 0
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._error is not None:
                    dropped += 1  # MongoDB is failing: later writes would fail too; re-delivery heals
                    continue
                if dropped:
                    logger.warning("dropped %d outbox status writes after a MongoDB error", dropped)
                    dropped = 0
                job()
            except PyMongoError as exc:
                logger.warning(
                    "outbox status write failed (entries stay unfinished, re-applied later): %s", exc
                )
                self._error = exc
            finally:
                self._jobs.task_done()
