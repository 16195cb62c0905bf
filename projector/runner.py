"""Sync engine: the projector loop — lead or stand by, catch up, tail the change stream, recover.

One ``ProjectorRunner.run()`` call is one projector process. It takes the leader lease (or
waits as hot standby), opens the change stream from the stored checkpoint, applies everything
not yet done from the outbox, then tails the stream with smart batching (``StreamReader``, below:
a reader thread; each batch is what has arrived, applied without waiting for more). Database
failures never end the loop: the batch is marked failed, connections are dropped and re-opened
after a backoff. ``stop`` (set by SIGTERM/SIGINT) is checked between batches, so a batch is
finished or rolled back, never cut in half. So is the operator's pause switch
(``projector.control``): a paused leader keeps its lease and heartbeat and applies nothing until
resumed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import TracebackType
from typing import Any, Protocol

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from pymongo.change_stream import ChangeStream
from pymongo.errors import InvalidOperation, OperationFailure, PyMongoError

from projector import metrics
from projector.control import PauseGate
from projector.delivery import deliver
from projector.leader import (
    CheckpointUpdate,
    LeaderLease,
    LeaseLostError,
    clear_resume_token,
    load_resume_token,
    save_checkpoint,
)
from projector.outbox import OutboxStore, StatusWriter
from projector.retry import retry_due, sweep_unfinished

logger = logging.getLogger(__name__)

# ChangeStreamHistoryLost, ChangeStreamFatalError, CappedPositionLost: the resume point is gone;
# InvalidResumeToken: the token is not from this server's history (e.g. a rebuilt database).
# Either way the stream starts afresh after a sweep of the outbox, which skips nothing.
HISTORY_LOST_CODES = frozenset({286, 280, 136, 260})
# After trouble, the leader re-applies due entries itself for this long (Celery does it anyway).
SELF_HEAL_WINDOW = timedelta(seconds=60)
SELF_HEAL_PENDING_GRACE = timedelta(seconds=1)


class HistoryLostError(RuntimeError):
    """The stored resume token is no longer in the change stream's history."""


@dataclass(frozen=True)
class RunnerConfig:
    batch_size: int
    max_await_ms: int
    lease_ttl: timedelta
    standby_poll: float
    reconnect_max: float
    idle_checkpoint: float
    retry_interval: float
    retry_limit: int

    @classmethod
    def from_settings(cls) -> RunnerConfig:
        return cls(
            batch_size=settings.PROJECTOR_BATCH_SIZE,
            max_await_ms=settings.PROJECTOR_MAX_AWAIT_MS,
            lease_ttl=timedelta(seconds=settings.PROJECTOR_LEASE_SECONDS),
            standby_poll=settings.PROJECTOR_STANDBY_POLL_SECONDS,
            reconnect_max=settings.PROJECTOR_RECONNECT_MAX_SECONDS,
            idle_checkpoint=settings.PROJECTOR_IDLE_CHECKPOINT_SECONDS,
            retry_interval=settings.PROJECTOR_RETRY_INTERVAL_SECONDS,
            retry_limit=settings.PROJECTOR_RETRY_SWEEP_LIMIT,
        )


class ProjectorRunner:
    def __init__(
        self,
        outbox: OutboxStore,
        *,
        owner: str,
        config: RunnerConfig,
        stop: threading.Event | None = None,
        gate: PauseGate | None = None,
    ) -> None:
        self.outbox = outbox
        self.owner = owner
        self.config = config
        self.stop = stop or threading.Event()
        self.lease = LeaderLease(owner=owner, ttl=config.lease_ttl)
        self.gate = gate or PauseGate()
        self._was_paused = False
        self._failures = 0
        self._heal_until = 0.0
        self._next_heal = 0.0
        self._next_beat = 0.0
        self._indexes_ready = False

    # --- the outer loop: leadership and recovery -------------------------------------------------
    def run(self) -> None:
        logger.info("projector %s starting", self.owner)
        while not self.stop.is_set():
            try:
                if not self.lease.try_acquire():
                    metrics.IS_LEADER.set(0)
                    self.stop.wait(self.config.standby_poll)
                    continue
                metrics.IS_LEADER.set(1)
                self._lead()
            except LeaseLostError as exc:
                metrics.IS_LEADER.set(0)
                logger.warning("projector %s is standby again: %s", self.owner, exc)
            except HistoryLostError as exc:
                metrics.HISTORY_LOST.inc()
                logger.error("change stream history lost (%s): sweeping the outbox, then a fresh stream", exc)
                self._forget_token()
            except DatabaseError as exc:
                self._back_off("mysql", exc)
            except PyMongoError as exc:
                self._back_off("mongodb", exc)
        self._shut_down()

    def _lead(self) -> None:
        if not self._indexes_ready:
            self.outbox.ensure_indexes()
            self._indexes_ready = True
        token = load_resume_token()
        # Open the stream before sweeping: whatever the sweep's query misses, the stream delivers.
        with self._open_stream(token) as stream, StatusWriter() as status_writer:
            logger.info(
                "projector %s leads; stream resumes %s", self.owner, "at checkpoint" if token else "from now"
            )
            report = sweep_unfinished(
                self.outbox,
                owner=self.owner,
                batch_size=self.config.batch_size,
                kind="catch-up",
                fence=self.lease,
                stop=self.stop,
                status_writer=status_writer,
                before_chunk=self._between_chunks,
            )
            if report.unfinished:
                self._start_healing()
            self._failures = 0
            # Started after the sweep, so it queues only what arrives from now on (bounded).
            with StreamReader(stream, capacity=self.config.batch_size) as reader:
                self._tail(reader, status_writer)

    def _open_stream(self, token: Mapping[str, Any] | None) -> ChangeStream[Any]:
        try:
            return self.outbox.watch(
                resume_after=token, max_await_ms=self.config.max_await_ms, batch_size=self.config.batch_size
            )
        except OperationFailure as exc:
            if exc.code in HISTORY_LOST_CODES:
                raise HistoryLostError(str(exc)) from exc
            raise

    # --- the inner loop: tailing -------------------------------------------------------------------
    def _tail(self, reader: StreamReader, status_writer: StatusWriter) -> None:
        next_checkpoint = time.monotonic()
        while not self.stop.is_set():
            now = time.monotonic()
            try:
                status_writer.raise_if_failed()
                self._beat_if_due(now)
                if self._paused():
                    # Events wait in the stream (and the outbox); the lease stays ours.
                    self.stop.wait(self.gate.interval)
                    continue
                documents, token = self._collect(reader)
                if documents:
                    self._deliver_stream_batch(documents, token, status_writer)
                    next_checkpoint = time.monotonic() + self.config.idle_checkpoint
                elif now >= next_checkpoint:
                    self._save_idle_checkpoint(reader.position)
                    next_checkpoint = now + self.config.idle_checkpoint
                self._heal_if_due()
                self._failures = 0
            except DatabaseError as exc:
                # MySQL is away: the batch is already marked failed; keep tailing after a pause.
                self._start_healing()
                self._back_off("mysql", exc)

    def _collect(self, reader: StreamReader) -> tuple[list[Any], Mapping[str, Any] | None]:
        """What the stream has delivered so far; waits (up to the idle poll) only when there is nothing."""
        try:
            batch = reader.take(self.config.batch_size, wait=self.config.max_await_ms / 1000)
        except OperationFailure as exc:
            if exc.code in HISTORY_LOST_CODES:
                raise HistoryLostError(str(exc)) from exc
            raise
        return batch.documents, batch.resume_token

    def _deliver_stream_batch(
        self, documents: list[Any], token: Mapping[str, Any] | None, status_writer: StatusWriter
    ) -> None:
        outcome = deliver(
            documents,
            self.outbox,
            owner=self.owner,
            checkpoint=CheckpointUpdate(resume_token=token),
            fence=self.lease,
            status_writer=status_writer,
        )
        if outcome.unfinished:
            self._start_healing()
        logger.debug(
            "stream batch: %d events, %d applied, %d duplicates, %d held, %d failed",
            len(documents),
            outcome.applied,
            outcome.duplicates,
            outcome.held,
            outcome.failed,
        )

    def _save_idle_checkpoint(self, token: Mapping[str, Any] | None) -> None:
        if token is None:
            return
        with transaction.atomic():
            self.lease.assert_held()
            save_checkpoint(CheckpointUpdate(resume_token=token))

    # --- the operator's pause switch ------------------------------------------------------------
    def _paused(self) -> bool:
        paused = self.gate.paused()
        if paused != self._was_paused:
            self._was_paused = paused
            metrics.PAUSED.set(1 if paused else 0)
            if paused:
                logger.warning("projector %s paused: holding the lease, applying nothing", self.owner)
            else:
                logger.info("projector %s resumed", self.owner)
        return paused

    def _between_chunks(self) -> None:
        """Before each catch-up chunk: the lease's heartbeat (a catch-up may outlast many leases),
        and a wait while paused, the lease renewed as the tail loop does."""
        self._beat_if_due(time.monotonic())
        while not self.stop.is_set() and self._paused():
            self._beat_if_due(time.monotonic())
            self.stop.wait(self.gate.interval)

    def _beat_if_due(self, now: float) -> None:
        """Renew the lease every third of its time; LeaseLostError if another projector has it."""
        if now >= self._next_beat:
            self.lease.renew()
            self._next_beat = now + self.config.lease_ttl.total_seconds() / 3

    # --- self-healing and recovery -----------------------------------------------------------------
    def _start_healing(self) -> None:
        self._heal_until = time.monotonic() + SELF_HEAL_WINDOW.total_seconds()

    def _heal_if_due(self) -> None:
        now = time.monotonic()
        if now >= self._heal_until or now < self._next_heal:
            return
        self._next_heal = now + self.config.retry_interval / 2
        report = retry_due(
            self.outbox,
            owner=self.owner,
            pending_grace=SELF_HEAL_PENDING_GRACE,
            limit=self.config.retry_limit,
            batch_size=self.config.batch_size,
            kind="self-heal",
        )
        if report.unfinished:
            self._start_healing()

    def _forget_token(self) -> None:
        try:
            clear_resume_token()
        except DatabaseError as exc:
            self._back_off("mysql", exc)

    def _back_off(self, database: str, exc: Exception) -> None:
        self._failures += 1
        delay = min(self.config.reconnect_max, 0.25 * 2 ** min(self._failures - 1, 10))
        metrics.RECONNECTS.labels(database).inc()
        logger.warning(
            "projector %s: %s unavailable (%s: %s); retry %d in %.2fs",
            self.owner,
            database,
            exc.__class__.__name__,
            exc,
            self._failures,
            delay,
        )
        # Drop broken connections; the next query opens a fresh one (pymongo reconnects itself).
        connections.close_all()
        self.stop.wait(delay)

    def _shut_down(self) -> None:
        metrics.IS_LEADER.set(0)
        metrics.PAUSED.set(0)
        try:
            self.lease.release()
        except DatabaseError as exc:
            logger.warning("projector %s could not release its lease (it will expire): %s", self.owner, exc)
        connections.close_all()
        logger.info("projector %s stopped", self.owner)


# --- tailing: the change stream read in a background thread (smart batching, ADR 0017) ---------
# The reader thread keeps a getMore outstanding on the change stream and puts every change it
# receives into a bounded queue. The applier takes *everything already in the queue* — never
# waiting for more while it has events in hand — and applies it as one batch. Whatever arrives
# while that batch commits is queued meanwhile and makes the next batch: one round trip when idle,
# full batches under load. ``max_await`` only bounds an idle poll.
#
# Each item carries the stream's resume token as it stood right after that item was read, so the
# token handed out with a batch never runs ahead of the events handed out (a checkpoint saved with
# it skips nothing).

Document = Mapping[str, Any]
Token = Mapping[str, Any]


class ChangeSource(Protocol):
    """What the reader needs of a pymongo ``ChangeStream``."""

    @property
    def alive(self) -> bool: ...

    @property
    def resume_token(self) -> Token | None: ...

    def try_next(self) -> Any: ...


@dataclass(frozen=True)
class _Item:
    document: Document | None  # None: an idle poll that only moved the resume token
    token: Token | None


@dataclass(frozen=True)
class _Failed:
    error: BaseException


@dataclass
class ReaderCounters:
    """What the reader did; read by tests and logs, never used for control."""

    polls: int = 0
    changes: int = 0
    batches: int = 0
    batch_sizes: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class StreamBatch:
    documents: list[Document]
    resume_token: Token | None


class StreamReader:
    """A background reader over one change stream; ``take`` hands the applier what has arrived."""

    def __init__(self, stream: ChangeSource, *, capacity: int, name: str = "change-stream-reader") -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._stream = stream
        # Bounded: a projector that cannot keep up slows its reader down instead of piling up memory.
        self._queue: queue.Queue[_Item | _Failed] = queue.Queue(maxsize=capacity)
        self._closed = threading.Event()
        self._position: Token | None = None
        self.counters = ReaderCounters()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> StreamReader:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def position(self) -> Token | None:
        """The resume token after everything handed out so far (safe to checkpoint once applied)."""
        return self._position

    def take(self, limit: int, wait: float) -> StreamBatch:
        """Up to ``limit`` changes already read; waits up to ``wait`` seconds only if none are in hand.

        A read error (history lost, connection gone) is raised here, in the applier's thread.
        """
        documents: list[Document] = []
        try:
            item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
        except queue.Empty:
            return StreamBatch([], self._position)
        while True:
            if isinstance(item, _Failed):
                raise item.error
            self._position = item.token if item.token is not None else self._position
            if item.document is not None:
                documents.append(item.document)
                if len(documents) >= limit:
                    break
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
        if documents:
            self.counters.batches += 1
            self.counters.batch_sizes.append(len(documents))
        return StreamBatch(documents, self._position)

    def close(self, timeout: float = 30.0) -> None:
        """Stop reading; returns once the reader's outstanding getMore has come back."""
        self._closed.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    # --- the reader thread ----------------------------------------------------------------------
    def _run(self) -> None:
        last_token: Token | None = None
        try:
            while not self._closed.is_set():
                change = self._stream.try_next()  # waits on the server up to max_await when idle
                self.counters.polls += 1
                token = self._stream.resume_token
                if change is not None:
                    self.counters.changes += 1
                    document = change["fullDocument"]
                    if not self._hand_over(_Item(document, token)):
                        return
                elif token != last_token:
                    if not self._hand_over(_Item(None, token)):
                        return
                elif not self._stream.alive:
                    raise InvalidOperation("the change stream was closed (invalidated or killed)")
                last_token = token
        except BaseException as exc:  # handed to the applier, which re-raises it
            self._hand_over(_Failed(exc))

    def _hand_over(self, item: _Item | _Failed) -> bool:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False
