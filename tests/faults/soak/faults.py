"""Soak: the seeded fault plan and the two lanes that carry it out.

The kill lane SIGKILLs application processes at planned moments (a supervisor restarts them).
The outage lane runs one outage at a time — a database link cut, a database SIGKILLed and
restarted, a leader frozen (anywhere, inside a batch, or behind a half-open link) — and waits
for the sync to converge before the next. The plan depends on the seed alone.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.faults.sessions import freeze_inside_a_transaction
from tests.faults.soak.stack import DATABASE, Stack

KILLS = {
    "gunicorn-worker": 4,
    "gunicorn-master": 1,
    "celery-worker": 2,
    "celery-beat": 2,
    "projector-a": 1,
    "projector-b": 1,
}
OUTAGES = {
    "cut-mysql": 4,
    "cut-mongodb": 4,
    "cut-redis": 1,
    "crash-mariadb": 3,
    "crash-mongodb": 3,
    "pause-leader": 1,
    "pause-leader-in-batch": 1,
    "half-open-leader": 1,
}
DATABASE_OUTAGES = ("cut-mysql", "cut-mongodb", "crash-mariadb", "crash-mongodb")
MYSQL_OUTAGES = ("cut-mysql", "crash-mariadb")
MONGODB_OUTAGES = ("cut-mongodb", "crash-mongodb")
LEADER_FAULTS = ("pause-leader", "pause-leader-in-batch", "half-open-leader")
LEASE_LOCK = f"cqrs-sync:{DATABASE}:lease:projector"


@dataclass(frozen=True)
class Planned:
    kind: str
    duration: float = 0.0
    at: float = 0.0  # kills: seconds after the start


@dataclass
class Fault:
    kind: str
    start: float  # wall clock
    end: float
    detail: str = ""
    takeover: float | None = None  # leader faults: seconds until another projector led


def plan(
    seed: int, seconds: float, kill_every: float, lease: float, only: set[str] | None = None
) -> tuple[list[Planned], list[Planned]]:
    """The kill lane's moments and targets, and the outage lane's sequence: a function of the seed
    (and of ``only``, a subset of the kinds, to aim at one kind of fault)."""
    kills_rng, outages_rng = random.Random(f"{seed}-kills"), random.Random(f"{seed}-outages")
    kill_kinds = {k: w for k, w in KILLS.items() if only is None or k in only}
    outage_kinds = {k: w for k, w in OUTAGES.items() if only is None or k in only}
    kills, at = [], kills_rng.uniform(2, 4)
    while at < seconds and kill_kinds:
        kills.append(Planned(_pick(kills_rng, kill_kinds), at=round(at, 2)))
        at += kills_rng.uniform(0.2, 2 * kill_every - 0.2)
    outages = []
    for _ in range((int(seconds) + 10) if outage_kinds else 0):  # more than can run; the lane stops in time
        kind = _pick(outages_rng, outage_kinds)
        outages.append(Planned(kind, round(_duration(outages_rng, kind, lease), 2)))
    return kills, outages


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _duration(rng: random.Random, kind: str, lease: float) -> float:
    if kind in LEADER_FAULTS:
        return rng.uniform(lease + 2, lease + 15)
    if kind.startswith("crash-"):
        return rng.uniform(0.5, 8)  # down for this long before the restart (plus crash recovery)
    roll = rng.random()  # a cut: mostly seconds, sometimes up to a minute
    return rng.uniform(2, 8) if roll < 0.6 else rng.uniform(8, 25) if roll < 0.9 else rng.uniform(25, 60)


class Lanes:
    """Carries out a plan against a stack; ``faults`` is what actually happened, in order."""

    def __init__(
        self,
        stack: Stack,
        kills: list[Planned],
        outages: list[Planned],
        seconds: float,
        converged: Callable[[float, float], float | None],
        connect: Callable[[], Any],
        log: Callable[[str], None],
        seed: int,
    ) -> None:
        self.stack, self.kills, self.outages, self.seconds = stack, kills, outages, seconds
        self.converged, self.connect, self.log = converged, connect, log
        self.rng = random.Random(f"{seed}-execution")
        self.faults: list[Fault] = []
        self.protect_projectors = threading.Event()
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.started = 0.0

    def run(self) -> None:
        self.started = time.monotonic()
        threads = [
            threading.Thread(target=self._kill_lane, name="kill-lane", daemon=True),
            threading.Thread(target=self._outage_lane, name="outage-lane", daemon=True),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _record(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)
        elapsed = fault.start - (time.time() - (time.monotonic() - self.started))
        took = f" takeover {fault.takeover:.1f}s" if fault.takeover is not None else ""
        self.log(f"t={elapsed:7.1f}s {fault.kind:22s} {fault.end - fault.start:5.1f}s{took} {fault.detail}")

    def _time_left(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    # --- the kill lane ------------------------------------------------------------------------------
    def _kill_lane(self) -> None:
        for planned in self.kills:
            if self.stop.wait(max(0.0, planned.at - (time.monotonic() - self.started))):
                return
            while planned.kind.startswith("projector") and self.protect_projectors.is_set():
                if self.stop.wait(0.2):
                    return
            detail = self._kill(planned.kind)
            if detail is not None:
                now = time.time()
                self._record(Fault(planned.kind, now, now, detail))

    def _kill(self, kind: str) -> str | None:
        if kind == "gunicorn-worker":
            workers = self._wait_for(self.stack.web.children)
            if not workers:
                return None
            victim = self.rng.choice(workers)
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                return None
            return f"pid {victim}"
        service = {
            "gunicorn-master": self.stack.web,
            "celery-worker": self.stack.worker,
            "celery-beat": self.stack.beat,
            **self.stack.projectors,
        }[kind]
        if not self._wait_for(lambda: service.alive):
            return None
        pid = service.pid
        return f"pid {pid}" if service.kill() else None

    def _wait_for(self, condition: Callable[[], Any], timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while not (value := condition()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return value

    # --- the outage lane ----------------------------------------------------------------------------
    def _outage_lane(self) -> None:
        for planned in self.outages:
            if self._time_left() <= 0 or self.stop.is_set():
                break
            fault = self._outage(planned)
            if fault is None:
                continue
            self._record(fault)
            self.converged(fault.end, 120.0)
            time.sleep(self.rng.uniform(0.5, 2))
        self.stop.set()

    def _outage(self, planned: Planned) -> Fault | None:
        kind, duration = planned.kind, planned.duration
        if kind in LEADER_FAULTS:
            return self._freeze_leader(kind, duration)
        start = time.time()
        if kind.startswith("cut-"):
            proxies = {
                "cut-mysql": list(self.stack.mysql_proxies.values()),
                "cut-mongodb": [self.stack.mongo_proxy],
                "cut-redis": [self.stack.redis_proxy],
            }[kind]
            for proxy in proxies:
                proxy.cut()
            time.sleep(duration)
            for proxy in proxies:
                proxy.restore()
            return Fault(kind, start, time.time())
        service = self.stack.mariadb if kind == "crash-mariadb" else self.stack.mongodb
        service.kill()
        time.sleep(duration)
        service.start(wait=180)
        return Fault(kind, start, time.time(), f"restarted after {duration:.1f}s down")

    def _freeze_leader(self, kind: str, duration: float) -> Fault | None:
        self.protect_projectors.set()
        connection = None
        try:
            connection = self.connect()
            leader = self._steady_leader(connection)
            if leader is None:
                self.log(f"{kind}: skipped, no steady leader with a live standby within 60 s")
                return None
            service = self.stack.projectors[leader]
            proxy = self.stack.mysql_proxies[leader]
            freeze, thaw = (
                (proxy.freeze, proxy.thaw) if kind == "half-open-leader" else (service.pause, service.resume)
            )
            cursor = connection.cursor()
            if kind == "pause-leader":
                freeze()
            else:
                try:
                    freeze_inside_a_transaction(
                        freeze,
                        thaw,
                        cursor,
                        session=lambda: _marked_session(cursor),
                        seed=self.rng.randrange(10**6),
                    )
                except AssertionError as exc:
                    self.log(f"{kind}: skipped, {exc}")
                    return None
            start = time.time()
            takeover = self._takeover(connection, leader, start, deadline=start + duration + 30)
            time.sleep(max(0.0, start + duration - time.time()))
            if kind == "half-open-leader":
                proxy.sever()
            else:
                service.resume()
            return Fault(kind, start, time.time(), f"{leader} frozen", takeover)
        finally:
            if connection is not None:
                connection.close()
            self.protect_projectors.clear()

    def _steady_leader(self, connection: Any) -> str | None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            leader = self.stack.leader(connection)
            if leader in self.stack.projectors and all(
                service.alive and service.age > 8 for service in self.stack.projectors.values()
            ):
                return leader
            time.sleep(0.2)
        return None

    def _takeover(self, connection: Any, leader: str, start: float, deadline: float) -> float | None:
        while time.time() < deadline:
            try:
                now_leading = self.stack.leader(connection)
            except Exception:  # the soak's own connection may be what broke; reconnect below
                connection = self.connect()
                continue
            if now_leading is not None and now_leading != leader:
                return time.time() - start
            time.sleep(0.05)
        return None


def _marked_session(cursor: Any) -> int | None:
    cursor.execute("SELECT IS_USED_LOCK(%s)", [LEASE_LOCK])
    row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None
