"""Benchmark: the projector's start-up catch-up vs backlog size and vs account count, with its memory.

Usage (from the repository root):
    .venv/bin/python bench/catchup_scaling.py [--sizes 1000 5000 20000 100000] [--accounts 1000 100000]
                                              [--json out.json]

With MONGO_URL set it uses that replica set, otherwise a MongoDB stand-in. Each measurement is a
real ``manage.py runprojector`` process started on an outbox backlog that nobody projected yet:
  by backlog size — N events (account openings and deposits over 500 accounts);
  by account count — 20,000 deposits spread at random over A accounts that the read side already
  holds (so the read tables have A rows and the version gate locks among A rows).
The catch-up time is read from the projector's own log (from "leads" to the end of the "catch-up
sweep"); its memory is sampled from /proc every 50 ms (peak RSS, and the kernel's high-water mark).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.db import connection
from lagkit import machine
from projector_common import LOG_DIR, REPO_ROOT, prepare_read_database, truncate_read_side
from pymongo import MongoClient
from pymongo.database import Database

from accounts_read.models import AccountStatus, AccountView
from accounts_write.contract import OUTBOX_COLLECTION
from tests.factories.outbox import AccountHistory
from tests.mongo_standin.process import mongo_url_or_standin

INSERT_CHUNK = 5000


def backlog_by_size(events: int, accounts: int = 500) -> list[dict[str, Any]]:
    histories = [AccountHistory(owner=f"bench {n}") for n in range(min(accounts, events))]
    documents = [history.opened() for history in histories]
    while len(documents) < events:
        documents.append(histories[len(documents) % len(histories)].deposited("1.50"))
    return documents


def backlog_over_accounts(events: int, accounts: int) -> tuple[list[AccountHistory], list[dict[str, Any]]]:
    """``events`` deposits at random over ``accounts`` accounts already opened (v1) on both sides."""
    rng = random.Random(accounts)
    histories = [AccountHistory(owner=f"bench {n}") for n in range(accounts)]
    for history in histories:
        history.opened()
    documents = [rng.choice(histories).deposited("1.00") for _ in range(events)]
    return histories, documents


def seed_read_side(histories: list[AccountHistory]) -> None:
    """The accounts as the projector would have left them after their opening (raw, fast)."""
    rows = []
    for history in histories:
        opened = history.documents[0]
        rows.append(AccountView(account_id=history.account_id, owner=history.owner, currency=history.currency,
                                balance=0, status=AccountStatus.OPEN, version=1,
                                opened_at=opened["occurred_at"], updated_at=opened["occurred_at"]))
    AccountView.objects.bulk_create(rows, batch_size=5000)


def insert(database: Database[dict[str, Any]], documents: list[dict[str, Any]]) -> None:
    outbox = database[OUTBOX_COLLECTION]
    for start in range(0, len(documents), INSERT_CHUNK):
        outbox.insert_many(documents[start : start + INSERT_CHUNK], ordered=False)


def log_lines(path: Path) -> list[tuple[float, str]]:
    """(time, message) of each line of the projector's text log ("2026-12-01 22:08:29,617 INFO ... ] msg")."""
    lines = []
    for text in path.read_text(errors="replace").splitlines():
        if "] " not in text or len(text) < 23 or not text[:4].isdigit():
            continue
        at = datetime.strptime(text[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        lines.append((at, text.split("] ", 1)[1]))
    return lines


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def run_projector(env: dict[str, str], events: int, log_path: Path) -> dict[str, Any]:
    """Start a projector on the backlog; return its catch-up time and memory once it has swept."""
    with log_path.open("wb") as log:
        projector = subprocess.Popen([sys.executable, "manage.py", "runprojector", "--owner", "bench"],
                                     cwd=str(REPO_ROOT), env=env, stdout=log, stderr=subprocess.STDOUT)
    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set() and projector.poll() is None:
            samples.append(rss_kb(projector.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        deadline = time.monotonic() + 900
        lines: list[tuple[float, str]] = []
        while time.monotonic() < deadline:
            lines = log_lines(log_path)
            if any(message.startswith("catch-up sweep") for _, message in lines):
                break
            if projector.poll() is not None:
                raise SystemExit(f"the projector exited; see {log_path}")
            time.sleep(0.1)
        else:
            raise SystemExit(f"no catch-up within 900 s; see {log_path}")
        high_water, done_rss = rss_kb(projector.pid, "VmHWM"), rss_kb(projector.pid)
    finally:
        done.set()
        projector.terminate()
        projector.wait(timeout=60)
    leads = next(at for at, message in lines if " leads" in message)
    swept_at, swept = next((at, message) for at, message in lines if message.startswith("catch-up sweep"))
    seconds = swept_at - leads
    return {
        "events": events, "seconds": round(seconds, 3), "events_per_second": round(events / seconds, 1),
        "us_per_event": round(seconds / events * 1e6, 1), "sweep_log": swept[:200],
        "rss_peak_mb": round(max(samples) / 1024, 1) if samples else None,
        "rss_done_mb": round(done_rss / 1024, 1),
        "rss_high_water_mb": round(high_water / 1024, 1),
    }


def measure(url: str, documents: list[dict[str, Any]], child_env: dict[str, str],
            histories: list[AccountHistory] | None = None) -> dict[str, Any]:
    truncate_read_side()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_read_ledgerline")
        cursor.execute("DELETE FROM accounts_read_accountview")
    if histories:
        seed_read_side(histories)
    client: MongoClient[dict[str, Any]] = MongoClient(url, uuidRepresentation="standard", tz_aware=True)
    database = client[f"bench_catchup_{uuid.uuid4().hex[:8]}"]
    try:
        insert(database, documents)
        env = {**os.environ, **child_env, "MONGO_URL": url, "MONGO_DB": database.name, "LOG_LEVEL": "INFO",
               "DJANGO_SETTINGS_MODULE": "config.settings.test",
               "PROJECTOR_LEASE_SECONDS": "60"}
        return run_projector(env, len(documents), LOG_DIR / "catchup-projector.log")
    finally:
        client.drop_database(database.name)
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 5000, 20_000, 100_000])
    parser.add_argument("--accounts", type=int, nargs="*", default=[1000, 100_000])
    parser.add_argument("--account-events", type=int, default=20_000)
    parser.add_argument("--json", default=None)
    options = parser.parse_args()
    child_env = prepare_read_database()
    results: dict[str, Any] = {"machine_before": machine(), "by_size": [], "by_accounts": []}
    with mongo_url_or_standin() as url:
        for size in options.sizes:
            outcome = measure(url, backlog_by_size(size), child_env)
            results["by_size"].append(outcome)
            print(f"backlog {size} events: {outcome}", flush=True)
        for accounts in options.accounts:
            histories, documents = backlog_over_accounts(options.account_events, accounts)
            outcome = {"accounts": accounts, **measure(url, documents, child_env, histories)}
            results["by_accounts"].append(outcome)
            print(f"{options.account_events} events over {accounts} accounts: {outcome}", flush=True)
    results["machine_after"] = machine()
    if options.json:
        Path(options.json).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
