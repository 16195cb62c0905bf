"""Benchmark toolkit shared by both systems: a separate poller process, open-loop writers, phases.

Lag is measured the same way for CQRS Sync and for django-cqrs: a write is *acknowledged* when
the write call returns (our command bus answered / the peer's ``save()`` returned, which already
includes its publish); it is *visible* when a separate poller process, polling the read table over
its own MariaDB connection every ``POLL_SECONDS``, first sees the row at that version or later.
lag = visible - acknowledged (never below 0). ``time.monotonic`` is one clock for all processes.

The system-specific driver supplies: ``write(key) -> version`` (one business update), the keys
(account ids as stored in the read table), the poller's SQL, and ``pause``/``resume`` of its
applier (SIGSTOP/SIGCONT) for the drain phase. Nothing here imports Django.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import statistics
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

POLL_SECONDS = 0.002
BURST_LIMIT_SECONDS = 20.0  # the burst and the drain backlog stop being written after this long
Key = Hashable
Ack = tuple[Key, int, float]  # key, version written, acknowledged at (monotonic)


@dataclass(frozen=True)
class ReadTable:
    """Where the poller looks: MySQL connection parameters and a query giving (key, version) rows."""

    connect: dict[str, Any]
    sql: str


# --- the poller process --------------------------------------------------------------------------
def _poller(table: ReadTable, pipe: Connection, interval: float) -> None:  # pragma: no cover - child
    import MySQLdb

    connection = MySQLdb.connect(**table.connect)
    connection.autocommit(True)  # otherwise REPEATABLE READ would show one snapshot forever
    cursor = connection.cursor()
    last: dict[Key, int] = {}
    seen: list[tuple[Key, int, float]] = []
    waits: list[tuple[Key, int]] = []
    while True:
        started = time.monotonic()
        cursor.execute(table.sql)
        rows = cursor.fetchall()
        now = time.monotonic()
        for key, version in rows:
            if version != last.get(key):
                last[key] = version
                seen.append((key, version, now))
        for key, version in list(waits):
            if last.get(key, -1) >= version:
                waits.remove((key, version))
                pipe.send(("seen", now))
        while pipe.poll():
            message = pipe.recv()
            if message[0] == "quit":
                connection.close()
                return
            if message[0] == "dump":
                pipe.send(("dump", seen))
                seen = []
            elif message[0] == "wait":
                waits.append((message[1], message[2]))
        time.sleep(max(0.0, started + interval - time.monotonic()))


class Poller:
    """The separate process that notes when each (key, version) first becomes visible."""

    def __init__(self, table: ReadTable, interval: float = POLL_SECONDS) -> None:
        context = mp.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_poller, args=(table, child, interval), daemon=True)
        self._lock = threading.Lock()
        self._process.start()

    def dump(self) -> list[tuple[Key, int, float]]:
        """Everything seen since the last dump."""
        with self._lock:
            self._pipe.send(("dump",))
            while True:
                kind, payload = self._pipe.recv()
                if kind == "dump":
                    return list(payload)

    def wait_seen(self, key: Key, version: int, timeout: float = 120.0) -> float:
        """Block until the poller sees ``key`` at ``version`` or later; the time it saw it."""
        with self._lock:
            self._pipe.send(("wait", key, version))
            if not self._pipe.poll(timeout):
                raise RuntimeError(f"{key!r} version {version} not visible within {timeout:.0f} s")
            kind, payload = self._pipe.recv()
            assert kind == "seen"
            return float(payload)

    def close(self) -> None:
        with self._lock:
            self._pipe.send(("quit",))
        self._process.join(timeout=10)


class Visibility:
    """First-seen times per key, from the poller's observations (versions only grow)."""

    def __init__(self, observations: Sequence[tuple[Key, int, float]]) -> None:
        self._by_key: dict[Key, list[tuple[int, float]]] = {}
        for key, version, at in observations:
            self._by_key.setdefault(key, []).append((version, at))

    def seen_at(self, key: Key, version: int) -> float | None:
        for seen_version, at in self._by_key.get(key, []):
            if seen_version >= version:
                return at
        return None


# --- statistics -------------------------------------------------------------------------------
def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (the same definition as the peer's own bench)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def lag_summary(lags_ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(lags_ms),
        "p50_ms": round(percentile(lags_ms, 0.50), 2),
        "p95_ms": round(percentile(lags_ms, 0.95), 2),
        "p99_ms": round(percentile(lags_ms, 0.99), 2),
        "max_ms": round(max(lags_ms), 2) if lags_ms else float("nan"),
        "mean_ms": round(statistics.fmean(lags_ms), 2) if lags_ms else float("nan"),
    }


# --- phases -----------------------------------------------------------------------------------
Writer = Callable[[Key], int]


class Bench:
    """Runs the phases for one system; ``writer_factory()`` gives each writer thread its own writer."""

    def __init__(
        self, writer_factory: Callable[[], Writer], keys: Sequence[Key], poller: Poller, threads: int
    ) -> None:
        self.writer_factory = writer_factory
        self.keys = list(keys)
        self.poller = poller
        self.threads = threads

    def _write_all(self, count: int, rate: float | None, limit: float) -> tuple[list[Ack], float, float]:
        """Up to ``count`` updates round-robin over the keys, on a fixed schedule (``rate``) or flat out.

        No write starts after ``limit`` seconds: a machine too busy to keep the schedule shortens
        the phase (the achieved rate shows it) instead of stretching the whole run.
        """
        acks: list[Ack] = []
        lock = threading.Lock()
        counter = iter(range(count))
        errors: list[BaseException] = []
        start = time.monotonic() + 0.05
        stop_at = start + limit

        def run() -> None:
            write = self.writer_factory()
            try:
                while True:
                    with lock:
                        index = next(counter, None)
                    if index is None or time.monotonic() > stop_at:
                        return
                    if rate is not None:  # open loop: a late write does not shift the next ones
                        delay = start + index / rate - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                    key = self.keys[index % len(self.keys)]
                    version = write(key)
                    acked = time.monotonic()
                    with lock:
                        acks.append((key, version, acked))
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=run, daemon=True) for _ in range(self.threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if errors:
            raise errors[0]
        return acks, start, time.monotonic()

    def _visible(self, acks: Sequence[Ack], timeout: float) -> tuple[list[float], float]:
        """Wait until every ack is visible; return each one's visibility time and when the last one was."""
        deadline = time.monotonic() + timeout
        observations: list[tuple[Key, int, float]] = []
        pending = list(acks)
        seen_times: dict[int, float] = {}
        while pending:
            observations += self.poller.dump()
            visibility = Visibility(observations)
            still = []
            for ack in pending:
                at = visibility.seen_at(ack[0], ack[1])
                if at is None:
                    still.append(ack)
                else:
                    seen_times[id(ack)] = at
            pending = still
            if pending:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{len(pending)} writes never became visible within {timeout:.0f} s")
                time.sleep(0.05)
        times = [seen_times[id(ack)] for ack in acks]
        return times, max(times) if times else time.monotonic()

    def steady_rate(self, rate: float, seconds: float) -> dict[str, Any]:
        self.poller.dump()
        planned = max(1, int(rate * seconds))
        acks, started, ended = self._write_all(planned, rate, limit=seconds * 1.25 + 1)
        seen, caught_up = self._visible(acks, timeout=600)
        lags = [max(0.0, at - acked) * 1000 for (_, _, acked), at in zip(acks, seen, strict=True)]
        backlog = sum(at > ended for at in seen)
        drain_s = max(0.0, caught_up - ended)
        return {
            "rate": rate,
            "writes": len(acks),
            "planned_writes": planned,
            "achieved_rate": round(len(acks) / (ended - started), 1),
            **lag_summary(lags),
            "backlog_at_end": backlog,
            "drain_s": round(drain_s, 3),
            "drain_rate": round(backlog / drain_s, 1) if backlog >= 10 and drain_s > 0.01 else None,
            "lags_ms": [round(lag, 3) for lag in lags],
        }

    def single_writer(self, count: int) -> dict[str, Any]:
        """One writer; each write waits until the poller has seen it before the next one starts."""
        self.poller.dump()
        write = self.writer_factory()
        lags: list[float] = []
        for index in range(count):
            key = self.keys[index % len(self.keys)]
            version = write(key)
            acked = time.monotonic()
            lags.append(max(0.0, self.poller.wait_seen(key, version) - acked) * 1000)
        return {"writes": count, **lag_summary(lags), "lags_ms": [round(lag, 3) for lag in lags]}

    def burst(self, count: int) -> dict[str, Any]:
        """``count`` writes as fast as the writer threads go, with the applier running."""
        self.poller.dump()
        acks, started, ended = self._write_all(count, None, limit=BURST_LIMIT_SECONDS)
        seen, caught_up = self._visible(acks, timeout=900)
        backlog = sum(at > ended for at in seen)
        drain_s = max(0.0, caught_up - ended)
        return {
            "writes": len(acks),
            "write_rate": round(len(acks) / (ended - started), 1),
            "apply_rate": round(len(acks) / (caught_up - started), 1),
            "backlog_at_end": backlog,
            "drain_s": round(drain_s, 3),
        }

    def drain(self, count: int, pause: Callable[[], None], resume: Callable[[], None]) -> dict[str, Any]:
        """A backlog of ``count`` writes built while the applier is paused, then drained by it alone."""
        self.poller.dump()
        pause()
        try:
            acks, started, ended = self._write_all(count, None, limit=BURST_LIMIT_SECONDS)
            time.sleep(0.2)
        finally:
            resumed = time.monotonic()
            resume()
        _, caught_up = self._visible(acks, timeout=900)
        return {
            "writes": len(acks),
            "write_rate_applier_paused": round(len(acks) / (ended - started), 1),
            "drain_s": round(caught_up - resumed, 3),
            "drain_rate": round(len(acks) / (caught_up - resumed), 1),
        }


def machine() -> dict[str, Any]:
    """How busy the machine was: load averages and core count (printed with every result)."""
    one, five, fifteen = os.getloadavg()
    return {"cpus": os.cpu_count(), "load_1m": round(one, 2), "load_5m": round(five, 2),
            "load_15m": round(fifteen, 2)}


def run_phases(bench: Bench, options: Any, pause: Callable[[], None], resume: Callable[[], None],
               report: Callable[[str, Any], None]) -> dict[str, Any]:
    """The same phases, in the same order, for either system."""
    results: dict[str, Any] = {"machine_before": machine(), "rates": {}}
    for rate in options.rates:
        results["rates"][f"{rate:g}"] = outcome = bench.steady_rate(rate, options.seconds)
        report(f"rate {rate}/s", outcome)
    if options.single_writer:
        results["single_writer"] = bench.single_writer(options.single_writer)
        report("single writer", results["single_writer"])
    if options.burst:
        results["burst"] = bench.burst(options.burst)
        report("burst", results["burst"])
        results["drain"] = bench.drain(options.burst, pause, resume)
        report("drain", results["drain"])
    results["machine_after"] = machine()
    return results


def add_phase_arguments(parser: Any) -> None:
    parser.add_argument("--rates", type=float, nargs="*", default=[50, 200, 500, 1000])
    parser.add_argument("--seconds", type=float, default=10.0, help="per steady rate")
    parser.add_argument("--threads", type=int, default=8, help="writer threads")
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--single-writer", type=int, default=200, help="writes of the sequential writer")
    parser.add_argument("--burst", type=int, default=3000, help="writes of the burst and of the drain")
    parser.add_argument("--json", default=None, help="write the results here")


def print_outcome(label: str, outcome: Any) -> None:
    shown = {k: v for k, v in outcome.items() if k != "lags_ms"}
    print(f"{label}: {shown}", flush=True)
