"""Benchmark: the MongoDB stand-in through pymongo — insert rate, indexed find cost, change-event latency.

Run: .venv/bin/python bench/mongo_standin_bench.py [--docs 100000] [--inserts 3000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.mongo_standin.process import StandinProcess


def seed(coll: Any, count: int) -> None:
    coll.create_index("email", unique=True)
    batch = 10_000
    for start in range(0, count, batch):
        coll.insert_many(
            [{"email": f"seed{i}@example.com", "n": i} for i in range(start, min(count, start + batch))]
        )


def insert_rate(coll: Any, inserts: int) -> float:
    started = time.perf_counter()
    for i in range(inserts):
        coll.insert_one({"email": f"bench{i}@example.com", "n": i})
    return inserts / (time.perf_counter() - started)


def find_cost(coll: Any, probes: int = 300) -> float:
    """Mean milliseconds per find_one on the unique-indexed field."""
    started = time.perf_counter()
    for i in range(probes):
        assert coll.find_one({"email": f"seed{(i * 7919) % 1000}@example.com"}) is not None
    return (time.perf_counter() - started) / probes * 1000


def measure_inserts(label: str, standin: StandinProcess, docs: int, inserts: int) -> None:
    client = standin.client()
    coll = client.bench.items
    coll.drop()
    seeded = time.perf_counter()
    seed(coll, docs)
    print(f"[{label}] seeded {docs} docs with a unique index in {time.perf_counter() - seeded:.1f}s")
    print(f"[{label}] acknowledged single-document inserts: {insert_rate(coll, inserts):,.0f}/s")
    client.close()


def measure_find_scaling(standin: StandinProcess, sizes: list[int]) -> None:
    client = standin.client()
    for size in sizes:
        coll = client.bench[f"find_{size}"]
        coll.drop()
        seed(coll, size)
        plan = coll.find({"email": "seed1@example.com"}).explain()["executionStats"]
        print(
            f"[find] {size:>7} docs: {find_cost(coll):.3f} ms per indexed find_one, "
            f"docs examined {plan['totalDocsExamined']}, keys examined {plan['totalKeysExamined']}"
        )
    client.close()


def measure_event_latency(standin: StandinProcess, events: int) -> None:
    writer, reader = standin.client(), standin.client()
    coll = writer.bench.latency
    coll.drop()
    coll.insert_one({"warm": True})
    acknowledged: dict[int, float] = {}
    received: dict[int, float] = {}
    ready = threading.Event()

    def tail() -> None:
        with reader.bench.latency.watch(max_await_time_ms=1000) as stream:
            ready.set()
            while len(received) < events:
                change = stream.try_next()
                if change is not None:
                    received[change["fullDocument"]["seq"]] = time.perf_counter()

    thread = threading.Thread(target=tail, daemon=True)
    thread.start()
    ready.wait(10)
    time.sleep(0.2)
    for seq in range(events):
        coll.insert_one({"seq": seq})
        acknowledged[seq] = time.perf_counter()
        time.sleep(0.01)
    thread.join(30)
    latencies = sorted((received[s] - acknowledged[s]) * 1000 for s in acknowledged if s in received)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(
        f"[events] {len(latencies)} events: delivery after acknowledgement "
        f"p50 {statistics.median(latencies):.2f} ms, "
        f"p95 {p95:.2f} ms (negative: the event arrived before the writer saw its reply)"
    )
    writer.close()
    reader.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--inserts", type=int, default=3000)
    parser.add_argument("--events", type=int, default=300)
    args = parser.parse_args()
    memory = StandinProcess(start_timeout=30).start()
    try:
        measure_inserts("memory", memory, args.docs, args.inserts)
        measure_find_scaling(memory, [1_000, 10_000, 100_000])
        measure_event_latency(memory, args.events)
    finally:
        memory.stop()
    with tempfile.TemporaryDirectory(prefix="standin-bench-") as dbpath:
        durable = StandinProcess(dbpath=dbpath, start_timeout=60).start()
        try:
            measure_inserts("dbpath", durable, args.docs, args.inserts)
        finally:
            durable.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
