"""Benchmark: end-to-end lag, command acknowledged → visible in the read model, at steady rates.

Usage (from the repository root):
    .venv/bin/python bench/projector_lag.py [--rates 50 200] [--seconds 20] [--accounts 50]

With MONGO_URL set it uses that replica set, otherwise a MongoDB stand-in. A real
``manage.py runprojector`` process tails the change stream; this process issues deposits (and
one transfer in ten) through the write side's ``bootstrap.handle`` at a steady rate from a few
writer threads, and a watcher thread polls the read model every 2 ms, noting when each
(account, version) becomes visible. Lag = first seen - acknowledged.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

from django.db import connections
from projector_common import REPO_ROOT, prepare_read_database, summary_ms, truncate_read_side
from pymongo import MongoClient

from accounts_read.models import AccountView
from accounts_write import bootstrap
from accounts_write.adapters.indexes import ensure_collections_and_indexes
from accounts_write.domain.commands import DepositFunds, OpenAccount, TransferFunds
from tests.mongo_standin.process import mongo_url_or_standin

POLL_SECONDS = 0.002


class Watcher(threading.Thread):
    """Polls account versions; records when each account first reached each version."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.seen: dict[uuid.UUID, list[tuple[int, float]]] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        last: dict[uuid.UUID, int] = {}
        while not self.stop.is_set():
            now = time.monotonic()
            for account_id, version in AccountView.objects.values_list("account_id", "version"):
                if version != last.get(account_id):
                    last[account_id] = version
                    self.seen.setdefault(account_id, []).append((version, now))
            time.sleep(POLL_SECONDS)
        connections.close_all()

    def visible_at(self, account_id: uuid.UUID, version: int) -> float | None:
        for seen_version, at in self.seen.get(account_id, []):
            if seen_version >= version:
                return at
        return None


def run_rate(
    rate: float, seconds: float, accounts: list[uuid.UUID], writers: int = 4
) -> tuple[list[float], float]:
    """Issue commands at ``rate``/s for ``seconds``; return their lags and the achieved rate."""
    total = int(rate * seconds)
    watcher = Watcher()
    watcher.start()
    acks: list[tuple[uuid.UUID, int, float]] = []
    lock = threading.Lock()
    next_index = iter(range(total))
    start = time.monotonic() + 0.2

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            account = rng.choice(accounts)
            if index % 10 == 9:
                other = rng.choice([a for a in accounts if a != account])
                result: Any = bootstrap.handle(TransferFunds(account, other, Decimal("0.01")))
                acked = time.monotonic()
                pairs = [(result.from_account.account_id, result.from_account.version),
                         (result.to_account.account_id, result.to_account.version)]
            else:
                result = bootstrap.handle(DepositFunds(account, Decimal("1.00")))
                acked = time.monotonic()
                pairs = [(result.account_id, result.version)]
            with lock:
                acks.extend((account_id, version, acked) for account_id, version in pairs)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    achieved = total / (time.monotonic() - start)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(watcher.visible_at(a, v) is None for a, v, _ in acks):
        time.sleep(0.05)
    watcher.stop.set()
    watcher.join()
    lags = []
    for account_id, version, acked in acks:
        seen = watcher.visible_at(account_id, version)
        if seen is None:
            raise SystemExit(f"account {account_id} never reached version {version} on the read side")
        lags.append(max(0.0, seen - acked))
    return lags, achieved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--accounts", type=int, default=50)
    args = parser.parse_args()
    child_env = prepare_read_database()
    truncate_read_side()
    with mongo_url_or_standin() as url:
        client: MongoClient[dict[str, Any]] = MongoClient(url, uuidRepresentation="standard", tz_aware=True)
        database = client[f"bench_lag_{uuid.uuid4().hex[:8]}"]
        ensure_collections_and_indexes(database)
        env = {**os.environ, **child_env, "MONGO_URL": url, "MONGO_DB": database.name, "LOG_LEVEL": "WARNING"}
        projector = subprocess.Popen([sys.executable, "manage.py", "runprojector", "--owner", "bench"],
                                     cwd=str(REPO_ROOT), env=env)
        try:
            with bootstrap.override_bus(bootstrap.build_bus(database=database)):
                accounts = [bootstrap.handle(OpenAccount(owner=f"bench {n}", initial_deposit=Decimal("100")))
                            .account_id for n in range(args.accounts)]
                while AccountView.objects.count() < len(accounts):
                    time.sleep(0.1)
                for rate in args.rates:
                    lags, achieved = run_rate(rate, args.seconds, accounts)
                    print(f"rate {rate:.0f}/s (achieved {achieved:.1f}/s, {args.seconds:.0f} s): "
                          f"{summary_ms(lags)}")
        finally:
            projector.terminate()
            projector.wait(timeout=30)
            client.drop_database(database.name)
            client.close()


if __name__ == "__main__":
    main()
