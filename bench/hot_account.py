"""Benchmark: a hot account — many concurrent HTTP clients depositing into ONE account.

Usage (from the repository root):
    .venv/bin/python bench/hot_account.py [--writers 16] [--deposits 20] [--workers 4] [--json out.json]

With MONGO_URL set it uses that replica set, otherwise a MongoDB stand-in. The API runs in a real
gunicorn (``--workers`` processes × 4 threads, so writers clash across processes as they would in
production); ``--writers`` client threads each send ``--deposits`` deposits of 1.00 with their own
Idempotency-Key, one after the other, and never retry. Every answer must be 200 (a 409
``concurrency_conflict`` means the server gave up while the client was still waiting); the balance
must be exact. Reports the command latency (request sent → answer received) and the statuses.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lagkit import lag_summary, machine
from projector_common import LOG_DIR, REPO_ROOT, prepare_read_database
from pymongo import MongoClient

from accounts_write.adapters.indexes import ensure_collections_and_indexes
from tests.auth import issue_api_key
from tests.mongo_standin.process import free_port, mongo_url_or_standin

HOST = "127.0.0.1"
OPENING = {"owner": "Hot", "initial_deposit": "0.01"}


API_KEY = ""  # set in main(): every /api/ request is authenticated


def request(port: int, method: str, path: str, body: dict[str, Any] | None = None,
            key: str | None = None) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    headers = {"Content-Type": "application/json", "Host": "localhost", "Authorization": f"Bearer {API_KEY}"}
    if key:
        headers["Idempotency-Key"] = key
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    payload = json.loads(response.read() or b"{}")
    connection.close()
    return response.status, payload


def start_server(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"{HOST}:{port}",
               "--workers", str(workers), "--threads", "4", "--worker-class", "gthread", "--timeout", "60"]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=str(REPO_ROOT), env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer on port {port}; see {log}")


def hammer(port: int, account_id: str, writers: int, deposits: int) -> tuple[list[float], Counter[str]]:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(writers)

    def writer() -> None:
        barrier.wait()
        for _ in range(deposits):
            started = time.perf_counter()
            status, body = request(port, "POST", f"/api/accounts/{account_id}/deposit", {"amount": "1.00"},
                                   key=str(uuid.uuid4()))
            elapsed = time.perf_counter() - started
            label = str(status) if status == 200 else f"{status} {body.get('error', {}).get('code')}"
            with lock:
                latencies.append(elapsed * 1000)
                statuses[label] += 1

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--deposits", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (4 threads each)")
    parser.add_argument("--json", default=None)
    options = parser.parse_args()
    child_env = prepare_read_database()
    with mongo_url_or_standin() as url:
        client: MongoClient[dict[str, Any]] = MongoClient(url, uuidRepresentation="standard", tz_aware=True)
        database = client[f"bench_hot_{uuid.uuid4().hex[:8]}"]
        ensure_collections_and_indexes(database)
        env = {**os.environ, **child_env, "MONGO_URL": url, "MONGO_DB": database.name,
               "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "config.settings.test",
               "API_WRITE_RATE_LIMIT": "0"}  # the bench measures contention, not the abuse limit
        global API_KEY
        API_KEY = issue_api_key(f"hot-account-bench-{uuid.uuid4().hex[:8]}")  # one per run
        port = free_port()
        server = start_server(env, port, options.workers, LOG_DIR / "hot-account-gunicorn.log")
        try:
            status, opened = request(port, "POST", "/api/accounts", OPENING)
            assert status == 201, opened
            started = time.perf_counter()
            latencies, statuses = hammer(port, opened["account_id"], options.writers, options.deposits)
            elapsed = time.perf_counter() - started
            account = database["accounts"].find_one({"_id": uuid.UUID(opened["account_id"])})
            assert account is not None
        finally:
            server.terminate()
            server.wait(timeout=30)
            client.drop_database(database.name)
            client.close()
    commands = options.writers * options.deposits
    expected = Decimal("0.01") + commands
    results = {
        "writers": options.writers, "deposits_per_writer": options.deposits, "commands": commands,
        "gunicorn": f"{options.workers} workers x 4 threads", "statuses": dict(statuses),
        "succeeded": statuses.get("200", 0), "balance": str(account["balance"].to_decimal()),
        "balance_exact": account["balance"].to_decimal() == expected and account["version"] == commands + 2,
        "seconds": round(elapsed, 2), "commands_per_second": round(commands / elapsed, 1),
        "latency": lag_summary(latencies), "latencies_ms": [round(value, 2) for value in latencies],
        "machine": machine(),
    }
    print(f"hot account: {options.writers} writers x {options.deposits} deposits = {commands} commands "
          f"in {elapsed:.2f} s; statuses {dict(statuses)}; balance {results['balance']} "
          f"(exact: {results['balance_exact']}); latency {results['latency']}", flush=True)
    if options.json:
        Path(options.json).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
