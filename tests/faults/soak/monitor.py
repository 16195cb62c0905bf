"""Soak: watches from outside, past every proxy — lag, leader, projector memory and sockets.

Lag is the age of the oldest outbox entry not yet projected (as ``/api/sync/status`` reports
it), sampled twice a second straight from the stand-in. "Converged after a fault" means: every
event written before the fault ended has been projected.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import MySQLdb
import pymongo

from accounts_write.contract import OUTBOX_COLLECTION, OutboxStatus
from accounts_write.contract import OutboxField as F
from tests.faults.soak.stack import DATABASE, Stack

NOT_PROJECTED = [
    OutboxStatus.PENDING.value,
    OutboxStatus.IN_PROGRESS.value,
    OutboxStatus.FAILED.value,
    OutboxStatus.PARKED.value,
    OutboxStatus.DEAD.value,
]


@dataclass(frozen=True)
class Sample:
    at: float  # wall clock
    oldest: float | None  # occurred_at of the oldest entry not projected; None: everything projected
    ok: bool  # False: MongoDB could not be asked

    @property
    def lag(self) -> float | None:
        if not self.ok:
            return None
        return 0.0 if self.oldest is None else max(0.0, self.at - self.oldest)


@dataclass(frozen=True)
class Usage:
    at: float
    name: str
    pid: int
    age: float
    rss_mb: float
    sockets: int
    leader: bool  # the lease named this process when it was sampled


class Monitor(threading.Thread):
    def __init__(self, stack: Stack, interval: float = 0.5) -> None:
        super().__init__(name="monitor", daemon=True)
        self.stack, self.interval = stack, interval
        self.samples: list[Sample] = []
        self.usage: list[Usage] = []
        self.leaders: list[tuple[float, str | None]] = []
        self.halt = threading.Event()
        self.client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            stack.mongo_url(),
            uuidRepresentation="standard",
            tz_aware=True,
            serverSelectionTimeoutMS=1000,
            connectTimeoutMS=1000,
            socketTimeoutMS=5000,
        )
        self._mysql: Any = None

    def run(self) -> None:
        next_usage = 0.0
        while not self.halt.wait(self.interval):
            self.samples.append(self._lag_sample())
            self.leaders.append((time.time(), self._leader()))
            if time.monotonic() >= next_usage:
                self._sample_usage()
                next_usage = time.monotonic() + 5

    def _lag_sample(self) -> Sample:
        now = time.time()
        try:
            oldest = self.client[DATABASE][OUTBOX_COLLECTION].find_one(
                {F.STATUS: {"$in": NOT_PROJECTED}}, sort=[(F.OCCURRED_AT, 1)], projection=[F.OCCURRED_AT]
            )
        except pymongo.errors.PyMongoError:
            return Sample(now, None, False)
        return Sample(now, oldest[F.OCCURRED_AT].timestamp() if oldest else None, True)

    def _leader(self) -> str | None:
        try:
            if self._mysql is None:
                self._mysql = self.connect()
            return self.stack.leader(self._mysql)
        except MySQLdb.Error:
            self._mysql = None
            return None

    def connect(self) -> Any:
        connection = MySQLdb.connect(
            host="127.0.0.1",
            port=self.stack.ports["mysql"],
            user="root",
            database=DATABASE,
            connect_timeout=2,
            read_timeout=5,
        )
        connection.autocommit(True)
        return connection

    def _sample_usage(self) -> None:
        leader = self.leaders[-1][1] if self.leaders else None
        for name, service in self.stack.projectors.items():
            pid = service.pid
            if pid is None or service.paused:
                continue
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                rss_kb = int(
                    next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
                )
                sockets = sum(
                    1
                    for fd in Path(f"/proc/{pid}/fd").iterdir()
                    if fd.readlink().as_posix().startswith("socket:")
                )
            except (OSError, StopIteration, ValueError):
                continue
            self.usage.append(
                Usage(time.time(), name, pid, service.age, rss_kb / 1024, sockets, name == leader)
            )

    # --- convergence --------------------------------------------------------------------------------
    def converged_at(self, since: float) -> float | None:
        """The first moment after ``since`` at which everything written before it was projected."""
        for sample in list(self.samples):
            if sample.at >= since and sample.ok and (sample.oldest is None or sample.oldest > since):
                return sample.at
        return None

    def wait_converged(self, since: float, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            moment = self.converged_at(since)
            if moment is not None:
                return moment - since
            time.sleep(self.interval)
        return None

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=10)
        self.client.close()
