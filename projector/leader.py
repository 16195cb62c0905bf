"""Sync engine persistence: the projector's coordination state in MySQL.

The leader lease (one active projector), the read-model fence (appliers vs. a blue/green
replay's swap) and the change-stream checkpoint (where the stream resumes). A batch's
transaction touches all three: it share-locks the fence, checks the lease, saves the checkpoint.

The leader lease is a row renewed by heartbeat, used as a fence. A standby polls ``try_acquire``;
it wins once the holder's lease has expired (crash) or was released (clean stop). Every
projection transaction first locks the lease row and checks it is still ours (``assert_held``),
so a projector that lost its lease cannot commit a batch. Lease times come from the projectors'
clocks; they only need to agree within a fraction of the TTL.

A leader can also stop without dying: frozen (SIGSTOP, a stalled VM) or cut off by a partition
that leaves its TCP connection half-open. Its MySQL session then lives on, for hours, holding the
row locks of the batch it was in — the lease row's among them. So the leader marks its session
with a named lock, and a standby that finds the lease expired first ends the session that holds
that named lock (``KILL CONNECTION``): the server rolls the frozen batch back and frees its locks,
and the standby takes over within the lease time (ADR 0021). The standby reads the lease without
locking it, and locks it only with a short lock-wait timeout, so it never queues behind a zombie.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import bson
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from projector.failures import mysql_error_number
from projector.models import Checkpoint, ProjectorLease, ReadModelFence

logger = logging.getLogger(__name__)

PROJECTOR_LEASE = "projector"
LOCK_WAIT_TIMEOUT = 1205
UNKNOWN_THREAD = 1094
MAX_LOCK_NAME = 64  # MySQL's limit on a named lock's name


class LeaseLostError(RuntimeError):
    """This projector no longer holds the leader lease."""


@dataclass(frozen=True)
class LeaderLease:
    owner: str
    ttl: timedelta
    name: str = PROJECTOR_LEASE
    # How long a takeover waits for the lease row's lock after ending the stale leader's session.
    takeover_lock_wait_seconds: int = 2

    def try_acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours; True when we hold it."""
        now = timezone.now()
        ProjectorLease.objects.get_or_create(name=self.name)
        # A plain read never waits for a row lock: a frozen leader cannot hold a standby up here.
        seen = ProjectorLease.objects.filter(name=self.name).values_list("owner", "expires_at").get()
        if seen[0] != self.owner:
            if not _free(*seen, now):
                return False
            self._end_stale_session(previous_owner=seen[0])
        try:
            with transaction.atomic(), _lock_wait_timeout(self.takeover_lock_wait_seconds):
                return self._take(now)
        except OperationalError as exc:
            if mysql_error_number(exc) != LOCK_WAIT_TIMEOUT:
                raise
            logger.info("leader lease %s: the previous leader's transaction still locks it", self.name)
            return False

    def _take(self, now: datetime) -> bool:
        lease = ProjectorLease.objects.select_for_update().get(name=self.name)
        if lease.owner != self.owner and not _free(lease.owner, lease.expires_at, now):
            return False
        if lease.owner != self.owner:
            logger.info(
                "leader lease %s acquired by %s (previous holder: %s)",
                self.name,
                self.owner,
                lease.owner or "none",
            )
            lease.owner = self.owner
            lease.acquired_at = now
        lease.heartbeat_at = now
        lease.expires_at = now + self.ttl
        lease.save()
        self._mark_session()
        return True

    def renew(self) -> None:
        """Heartbeat; raise LeaseLostError if someone else holds the lease now."""
        if not self._renew(timezone.now()):
            raise LeaseLostError(f"leader lease {self.name} is no longer held by {self.owner}")
        self._mark_session()

    def _renew(self, now: datetime) -> bool:
        return bool(
            ProjectorLease.objects.filter(name=self.name, owner=self.owner, expires_at__gte=now).update(
                heartbeat_at=now, expires_at=now + self.ttl
            )
        )

    def release(self) -> None:
        released = ProjectorLease.objects.filter(name=self.name, owner=self.owner).update(
            owner="", expires_at=timezone.now()
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT RELEASE_LOCK(%s)", [self.session_lock])
        if released:
            logger.info("leader lease %s released by %s", self.name, self.owner)

    def assert_held(self) -> None:
        """Inside a transaction: lock the lease row and fail unless it is ours and unexpired.

        Hand-written: it runs in every batch's transaction, before anything else (ADR 0019). It also
        says whether this session still carries the leader's mark (ADR 0021).
        """
        fields = {field.attname: field for field in ProjectorLease._meta.concrete_fields}
        quote = connection.ops.quote_name
        expires = fields["expires_at"].get_db_prep_value(
            timezone.now(), connection=connection, prepared=False
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT IS_USED_LOCK(%s) <=> CONNECTION_ID() "  # noqa: S608
                f"FROM {quote(ProjectorLease._meta.db_table)} "
                f"WHERE {quote(fields['name'].column)} = %s AND {quote(fields['owner'].column)} = %s "
                f"AND {quote(fields['expires_at'].column)} >= %s FOR UPDATE",
                [self.session_lock, self.name, self.owner, expires],
            )
            marked = [row[0] for row in cursor.fetchall()]
        if not marked:
            raise LeaseLostError(f"leader lease {self.name} is no longer held by {self.owner}")
        if not marked[0]:
            self._mark_session()  # a reconnect since the last batch: mark the new session

    # --- the leader's MySQL session, marked by a named lock ----------------------------------------
    @property
    def session_lock(self) -> str:
        """The named lock marking the leader's session; named locks are server-wide, so the
        database's name is part of it."""
        name = f"cqrs-sync:{connection.settings_dict['NAME']}:lease:{self.name}"
        if len(name) <= MAX_LOCK_NAME:
            return name
        return "cqrs-sync:lease:" + hashlib.sha256(name.encode()).hexdigest()[:40]

    def _mark_session(self) -> None:
        """Hold the named lock on this session; end any other session holding it (a stale leader's)."""
        holder = self._lock_holder()
        if holder is None:
            _execute("SELECT GET_LOCK(%s, 0)", self.session_lock)
            return
        if holder > 0:
            self._kill(holder, reason=f"it still marks a leader session, and {self.owner} leads now")
            _execute("SELECT GET_LOCK(%s, %s)", self.session_lock, self.takeover_lock_wait_seconds)

    def _end_stale_session(self, previous_owner: str) -> None:
        holder = self._lock_holder()
        if holder is not None and holder > 0:
            self._kill(holder, reason=f"the lease of {previous_owner or 'the last leader'} expired")

    def _lock_holder(self) -> int | None:
        """None: nobody holds the named lock; 0: this session does; else the holder's session id."""
        row = _execute("SELECT IS_USED_LOCK(%s), CONNECTION_ID()", self.session_lock)
        holder, me = row
        if holder is None:
            return None
        return 0 if int(holder) == int(me) else int(holder)

    def _kill(self, session_id: int, *, reason: str) -> None:
        logger.warning("leader lease %s: ending MySQL session %d, as %s", self.name, session_id, reason)
        try:
            _execute(f"KILL CONNECTION {int(session_id)}")
        except OperationalError as exc:
            if mysql_error_number(exc) != UNKNOWN_THREAD:  # already gone: what we wanted
                logger.warning("leader lease %s: could not end session %d: %s", self.name, session_id, exc)


def _free(owner: str, expires_at: datetime | None, now: datetime) -> bool:
    return not owner or expires_at is None or expires_at < now


def _execute(sql: str, *params: Any) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params) or None)
        return cursor.fetchone() if cursor.description else None


@contextmanager
def _lock_wait_timeout(seconds: int) -> Iterator[None]:
    """Lock waits of this session give up after ``seconds`` (InnoDB's default is 50 s)."""
    (previous,) = _execute("SELECT @@SESSION.innodb_lock_wait_timeout")
    _execute("SET SESSION innodb_lock_wait_timeout = %s", seconds)
    try:
        yield
    finally:
        _execute("SET SESSION innodb_lock_wait_timeout = %s", int(previous))


# --- the read-model fence: appliers share it, a replay's swap takes it alone -------------------
# Every transaction that writes the live read models first share-locks one fence row; share locks
# do not block each other, so appliers run side by side as before. A full replay, about to swap its
# shadow tables in, locks the row exclusively from a connection of its own: it waits for the
# appliers in flight to commit, and new ones wait at their first statement until the swap is done,
# so no projection is ever applied to tables that are about to be retired (ADR 0011).

FENCE = "read-models"


def share_fence() -> None:
    """Inside an applier's transaction: share-lock the fence (waits while a swap holds it)."""
    table = ReadModelFence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name FROM {table} WHERE name = %s LOCK IN SHARE MODE", [FENCE])  # noqa: S608
        if cursor.fetchone() is None:
            ReadModelFence.objects.get_or_create(name=FENCE)
            cursor.execute(f"SELECT name FROM {table} WHERE name = %s LOCK IN SHARE MODE", [FENCE])  # noqa: S608


@contextmanager
def exclusive_fence(timeout: float = 60.0) -> Iterator[None]:
    """Hold the fence exclusively for the ``with`` block, from a separate connection (a thread).

    The caller's own connection stays free for the work done under the fence (the swap's DDL).
    """
    ReadModelFence.objects.get_or_create(name=FENCE)
    locked = threading.Event()
    release = threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                ReadModelFence.objects.select_for_update().get(name=FENCE)
                locked.set()
                release.wait()
        except BaseException as exc:  # handed to the caller, which re-raises it
            failure.append(exc)
            locked.set()
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold, name="read-model-fence", daemon=True)
    holder.start()
    if not locked.wait(timeout) or failure:
        release.set()
        holder.join(timeout)
        if failure:
            raise failure[0]
        raise TimeoutError(f"could not take the read-model fence within {timeout:.0f} s")
    try:
        yield
    finally:
        release.set()
        holder.join(timeout)


# --- the change-stream checkpoint: the resume token, saved in each batch's transaction ----------

STREAM_CHECKPOINT = "outbox-stream"


@dataclass(frozen=True)
class CheckpointUpdate:
    """What a batch writes to the checkpoint row inside its projection transaction."""

    resume_token: Mapping[str, Any] | None = None
    applied: int = 0
    lag_ms: float | None = None


def load_resume_token(name: str = STREAM_CHECKPOINT) -> dict[str, Any] | None:
    row = Checkpoint.objects.filter(name=name).only("resume_token").first()
    if row is None or row.resume_token is None:
        return None
    return dict(bson.decode(bytes(row.resume_token)))


def save_checkpoint(update: CheckpointUpdate, name: str = STREAM_CHECKPOINT) -> None:
    """Write the checkpoint; call it inside the transaction that applies the batch.

    One statement (insert, or update the existing row, which it locks until the commit): it runs
    once per batch, and a lone event's batch is latency (ADR 0019).
    """
    now = timezone.now()
    values: dict[str, Any] = {"name": name, "updated_at": now, "events_applied": update.applied}
    if update.resume_token is not None:
        values["resume_token"] = bson.encode(dict(update.resume_token))
    if update.applied:
        values.update(last_applied_at=now, last_batch_lag_ms=update.lag_ms)
    columns = {field.attname: field for field in Checkpoint._meta.concrete_fields}
    quote = connection.ops.quote_name
    prepared = {
        key: columns[key].get_db_prep_value(value, connection=connection, prepared=False)
        for key, value in values.items()
    }
    names = ", ".join(quote(columns[key].column) for key in prepared)
    changes = [key for key in prepared if key != "name" and (key != "events_applied" or update.applied)]
    assignments = ", ".join(
        f"{quote(columns[key].column)} = "
        + (f"{quote(columns[key].column)} + %s" if key == "events_applied" else "%s")
        for key in changes
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Checkpoint._meta.db_table)} ({names}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(prepared))}) ON DUPLICATE KEY UPDATE {assignments}",
            [*prepared.values(), *(prepared[key] for key in changes)],
        )


def clear_resume_token(name: str = STREAM_CHECKPOINT) -> None:
    """Forget the resume token (history lost): the next stream starts now, after a sweep."""
    Checkpoint.objects.filter(name=name).update(resume_token=None, updated_at=timezone.now())
