"""Sync engine service: a full (blue/green) replay started from the demo page, in a background thread
of the web process, and its progress as the sync strip shows it (``DEMO_FAULTS`` only, ADR 0022).

The replay itself is ``projector.replay.full_replay``: its MySQL named lock keeps it to one at a
time across every process, and its progress row (``ReplayRun``) is what the strip reads. A thread
of the web process is good enough for a demonstration; an operator runs ``manage.py replay --all``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, connections
from django.utils import timezone
from pymongo.errors import PyMongoError

from projector.failures import describe
from projector.models import ReplayRun, ReplayState
from projector.outbox import OutboxStore
from projector.replay import ReplayBusyError, full_replay, replay_lock_name

logger = logging.getLogger(__name__)

# How long the request that starts a replay waits for its first progress (or its end, or its error).
START_WAIT_SECONDS = 1.5
RUNNING_STATES = (ReplayState.BUILDING, ReplayState.CATCHING_UP)

ReplayFunction = Callable[..., ReplayRun]


class ReplayStoppedError(RuntimeError):
    """The replay stopped on an error; its progress is kept, so starting it again resumes it."""


def replay_lock_holder() -> int | None:
    """The MySQL connection holding the replay lock (a replay is running), or None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT IS_USED_LOCK(%s)", [replay_lock_name()])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None


@dataclass
class _Attempt:
    started: threading.Event = field(default_factory=threading.Event)
    run: ReplayRun | None = None
    error: BaseException | None = None


class BackgroundReplay:
    """One replay thread per web process at a time; the replay lock covers every other process."""

    def __init__(self, replay: ReplayFunction = full_replay) -> None:
        self._replay = replay
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(
        self, outbox: OutboxStore, *, started_by: str, wait: float = START_WAIT_SECONDS
    ) -> ReplayRun | None:
        """Start a full replay; the run if it already ended, None while it goes on.

        Raises ``ReplayBusyError`` when a replay is running, and ``ReplayStoppedError`` when this
        one failed within ``wait`` seconds (MongoDB or MySQL unavailable, typically).
        """
        with self._guard:
            if self._thread is not None and self._thread.is_alive():
                raise ReplayBusyError("a replay started from the demo page is still running")
            if replay_lock_holder() is not None:
                raise ReplayBusyError("another replay is running (it holds the replay lock)")
            attempt = _Attempt()
            self._thread = threading.Thread(
                target=self._run, args=(outbox, started_by, attempt), name="demo-replay", daemon=True
            )
            self._thread.start()
        attempt.started.wait(wait)
        if attempt.error is not None:
            raise attempt.error
        return attempt.run

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the replay thread; True when none is running any more."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _run(self, outbox: OutboxStore, started_by: str, attempt: _Attempt) -> None:
        try:
            attempt.run = self._replay(
                outbox, started_by=started_by, progress=lambda _events: attempt.started.set()
            )
            logger.info("demo replay %s done", attempt.run.pk)
        except ReplayBusyError as exc:
            attempt.error = exc
        except Exception as exc:
            # Where it stopped is kept in its ReplayRun row: starting it again resumes it.
            logger.exception("demo replay stopped: %s", exc)
            attempt.error = ReplayStoppedError(describe(exc))
        finally:
            attempt.started.set()
            connections.close_all()  # this thread's connections only


BACKGROUND = BackgroundReplay()


@dataclass(frozen=True)
class ReplayProgress:
    """The latest full replay, as the sync strip shows it."""

    run_id: int
    state: str
    state_label: str
    started_by: str
    started_at: datetime
    events_seen: int
    events_applied: int
    outbox_size: int | None  # while it runs
    seconds: float
    running: bool
    error: str

    @property
    def rate(self) -> float | None:
        """Events read per second so far (or in all, once done)."""
        return self.events_seen / self.seconds if self.seconds > 0 and self.events_seen else None

    @property
    def stopped(self) -> bool:
        """Left unfinished with nobody holding the lock: starting a replay again resumes it."""
        return self.state in RUNNING_STATES and not self.running


def replay_progress(outbox: OutboxStore | None) -> ReplayProgress | None:
    run = ReplayRun.objects.order_by("-started_at").first()
    if run is None:
        return None
    unfinished = run.state in RUNNING_STATES
    running = unfinished and replay_lock_holder() is not None
    end = run.finished_at or (run.updated_at if not running else timezone.now())
    return ReplayProgress(
        run_id=run.pk,
        state=run.state,
        state_label=ReplayState(run.state).label if run.state in ReplayState.values else run.state,
        started_by=run.started_by,
        started_at=run.started_at,
        events_seen=run.events_seen,
        events_applied=run.events_applied,
        outbox_size=_outbox_size(outbox) if running else None,
        seconds=max(0.0, (end - run.started_at).total_seconds()),
        running=running,
        error=run.error,
    )


def _outbox_size(outbox: OutboxStore | None) -> int | None:
    if outbox is None:
        return None
    try:
        return outbox.count_all()
    except PyMongoError as exc:
        logger.warning("replay progress: the outbox cannot be counted: %s", exc)
        return None
