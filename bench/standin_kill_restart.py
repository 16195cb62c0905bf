"""Stress: SIGKILL the stand-in at random moments of a concurrent transactional load, restart it from
--dbpath, and check that every acknowledged write is there and nothing unacknowledged is half there.

Each round writes into a fresh database and fresh collections, created implicitly inside the
transactions. A transaction inserts one document into each of two collections with the same _id,
so it is visible either whole (both documents) or not at all. After every restart the script checks:

- the stand-in starts (and how long it takes);
- every transaction acknowledged before the kill, in this round and every earlier one, is there;
- every transaction whose commit was in flight at the kill is there whole or not at all;
- no document exists that no writer sent.

Run: .venv/bin/python bench/standin_kill_restart.py [--kills 200] [--writers 4] [--max-delay 1.0]
Exit status 1 if any check fails.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo.errors import PyMongoError

from tests.mongo_standin.process import StandinProcess


@dataclass
class Round:
    number: int
    acked: set[str] = field(default_factory=set)  # commit acknowledged
    in_flight: set[str] = field(default_factory=set)  # sent, fate unknown (the kill came first)

    @property
    def db(self) -> str:
        return f"stress_{self.number}"


def writer(
    standin: StandinProcess, rnd: Round, name: str, stop: threading.Event, lock: threading.Lock
) -> None:
    client = standin.client(serverSelectionTimeoutMS=500, connectTimeoutMS=500, retryWrites=False)
    db = client[rnd.db]
    n = 0
    try:
        while not stop.is_set():
            key = f"{name}-{n}"
            n += 1
            with lock:
                rnd.in_flight.add(key)
            try:
                with client.start_session() as session, session.start_transaction():
                    db["left"].insert_one({"_id": key, "writer": name, "n": n}, session=session)
                    db["right"].insert_one({"_id": key, "writer": name, "n": n}, session=session)
            except PyMongoError:
                if not standin.running:
                    return  # killed: this transaction's fate is unknown
                with lock:
                    rnd.in_flight.discard(key)  # a conflict or abort: never committed
                continue
            with lock:
                rnd.in_flight.discard(key)
                rnd.acked.add(key)
    finally:
        client.close()


def check(standin: StandinProcess, rounds: list[Round]) -> list[str]:
    problems: list[str] = []
    client = standin.client()
    try:
        for rnd in rounds:
            left = {d["_id"]: d for d in client[rnd.db]["left"].find()}
            right = {d["_id"]: d for d in client[rnd.db]["right"].find()}
            for key in rnd.acked - left.keys() - set():
                problems.append(f"round {rnd.number}: acknowledged {key} lost from 'left'")
            for key in rnd.acked - right.keys():
                problems.append(f"round {rnd.number}: acknowledged {key} lost from 'right'")
            for key in left.keys() ^ right.keys():
                problems.append(f"round {rnd.number}: transaction {key} is half there")
            for key in (left.keys() | right.keys()) - rnd.acked - rnd.in_flight:
                problems.append(f"round {rnd.number}: {key} was never sent")
            for key in left.keys() & right.keys():
                if left[key] != right[key] or set(left[key]) != {"_id", "writer", "n"}:
                    problems.append(f"round {rnd.number}: {key} stored wrongly: {left[key]} / {right[key]}")
    finally:
        client.close()
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--min-delay", type=float, default=0.05, help="shortest load before a kill (s)")
    parser.add_argument("--max-delay", type=float, default=1.0, help="longest load before a kill (s)")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    dbpath = tempfile.mkdtemp(prefix="standin-kill-")
    standin = StandinProcess(dbpath=dbpath, start_timeout=120).start()
    rounds: list[Round] = []
    restarts: list[float] = []
    problems: list[str] = []
    in_flight_present = in_flight_total = 0
    started = time.monotonic()
    for number in range(args.kills):
        rnd = Round(number)
        rounds.append(rnd)
        stop, lock = threading.Event(), threading.Lock()
        threads = [
            threading.Thread(target=writer, args=(standin, rnd, f"w{i}", stop, lock), daemon=True)
            for i in range(args.writers)
        ]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(args.min_delay, args.max_delay))
        standin.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        began = time.monotonic()
        try:
            standin.start()
        except Exception as exc:  # the one failure this stress exists to catch: no restart
            problems.append(f"round {number}: the stand-in did not start again: {exc}")
            break
        restarts.append(time.monotonic() - began)
        found = check(standin, [rnd])
        problems += found
        present = _present(standin, rnd)
        in_flight_total += len(rnd.in_flight)
        in_flight_present += len(rnd.in_flight & present)
        if (number + 1) % 20 == 0:
            print(
                f"{number + 1} kills, {sum(len(r.acked) for r in rounds)} acknowledged transactions, "
                f"last restart {restarts[-1]:.2f}s",
                flush=True,
            )
    if not problems:
        problems += check(standin, rounds)  # every earlier round again, after all the restarts
    standin.stop()
    journal = Path(dbpath) / "journal.bson"
    _report(args, rounds, restarts, in_flight_total, in_flight_present, journal, time.monotonic() - started)
    for problem in problems[:50]:
        print("PROBLEM", problem)
    print("RESULT", "FAIL" if problems else "PASS", f"({len(problems)} problems)")
    return 1 if problems else 0


def _present(standin: StandinProcess, rnd: Round) -> set[str]:
    client = standin.client()
    try:
        return {d["_id"] for d in client[rnd.db]["left"].find({}, {"_id": 1})}
    finally:
        client.close()


def _report(
    args: Any,
    rounds: list[Round],
    restarts: list[float],
    in_flight: int,
    present: int,
    journal: Path,
    took: float,
) -> None:
    acked = sum(len(r.acked) for r in rounds)
    print(f"kills (SIGKILL) and restarts from --dbpath: {len(restarts)} of {args.kills}")
    print(f"concurrent writers: {args.writers}; load before each kill: {args.min_delay}-{args.max_delay}s")
    print(f"acknowledged transactions: {acked} (each 2 documents in 2 collections created in it)")
    print(f"transactions in flight at a kill: {in_flight}; of them committed whole: {present}")
    if restarts:
        ordered = sorted(restarts)
        print(
            f"restart until hello answers: median {statistics.median(ordered):.2f}s, "
            f"p95 {ordered[int(len(ordered) * 0.95) - 1]:.2f}s, max {ordered[-1]:.2f}s"
        )
    size = journal.stat().st_size if journal.exists() else 0
    print(f"journal at the end: {size / 1e6:.1f} MB; total time {took:.0f}s")


if __name__ == "__main__":
    sys.exit(main())
