"""Sync engine: writes outbox delivery state in the background, in order, after each commit.

The MySQL transaction of batch N+1 runs while MongoDB records the outcome of batch N, so the
two round trips overlap instead of adding up. A status write that never happens (crash, or
MongoDB down) is harmless: the entry stays unfinished and its re-delivery is a duplicate.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from types import TracebackType

from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)

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
