"""Benchmark driver: CQRS Sync (command → MongoDB outbox → change stream → MySQL) through the lag phases.

Usage (from the repository root; ``make bench`` runs it with the bench virtualenv):
    .venv/bin/python bench/lag_ours.py [--rates 50 200 500 1000] [--seconds 10] [--json out.json]

With MONGO_URL set it uses that replica set, otherwise a MongoDB stand-in. A real
``manage.py runprojector`` process tails the change stream (leader lease 60 s, so pausing it for
the drain phase does not cost it the lease). One update = a ``DepositFunds`` command through the
command bus (the same call the API makes), acknowledged when the bus returns, i.e. after the
MongoDB commit. Lag, phases and writer threads are the ones of ``bench/lagkit.py``, exactly as
for the peer.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.conf import settings
from lagkit import Bench, Poller, ReadTable, add_phase_arguments, print_outcome, run_phases
from projector_common import LOG_DIR, REPO_ROOT, prepare_read_database, truncate_read_side
from pymongo import MongoClient

from accounts_read.models import AccountView
from accounts_write import bootstrap
from accounts_write.adapters.indexes import ensure_collections_and_indexes
from accounts_write.domain.commands import DepositFunds, OpenAccount
from tests.mongo_standin.process import mongo_url_or_standin

# The key is the hex form whether the column is MariaDB's native uuid or a char(32).
POLL_SQL = "SELECT REPLACE(account_id, '-', ''), version FROM accounts_read_accountview"


def mysql_connect() -> dict[str, Any]:
    db = settings.DATABASES["default"]
    return {"host": db["HOST"] or "127.0.0.1", "port": int(db["PORT"] or 3306), "user": db["USER"],
            "password": db["PASSWORD"] or "", "database": db["NAME"]}


def start_projector(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen([sys.executable, "manage.py", "runprojector", "--owner", "bench"],
                                cwd=str(REPO_ROOT), env=env, stdout=log, stderr=subprocess.STDOUT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_phase_arguments(parser)
    parser.add_argument("--log", default=str(LOG_DIR / "lag-ours-projector.log"))
    options = parser.parse_args()
    child_env = prepare_read_database()
    truncate_read_side()
    with mongo_url_or_standin() as url:
        client: MongoClient[dict[str, Any]] = MongoClient(url, uuidRepresentation="standard", tz_aware=True)
        database = client[f"bench_lag_{uuid.uuid4().hex[:8]}"]
        ensure_collections_and_indexes(database)
        env = {**os.environ, **child_env, "MONGO_URL": url, "MONGO_DB": database.name,
               "LOG_LEVEL": "WARNING", "PROJECTOR_LEASE_SECONDS": "60"}
        projector = start_projector(env, Path(options.log))
        poller = Poller(ReadTable(mysql_connect(), POLL_SQL))
        try:
            with bootstrap.override_bus(bootstrap.build_bus(database=database)):
                opened = [bootstrap.handle(OpenAccount(owner=f"bench {n}", initial_deposit=Decimal("1000")))
                          for n in range(options.accounts)]
                for result in opened:
                    poller.wait_seen(result.account_id.hex, result.version)
                ids = {result.account_id.hex: result.account_id for result in opened}

                def writer_factory() -> Any:
                    def write(key: Any) -> int:
                        return bootstrap.handle(DepositFunds(ids[key], Decimal("1.00"))).version

                    return write

                bench = Bench(writer_factory, list(ids), poller, options.threads)
                results = run_phases(bench, options, lambda: projector.send_signal(signal.SIGSTOP),
                                     lambda: projector.send_signal(signal.SIGCONT), print_outcome)
            written = {doc["_id"].hex: doc["version"] for doc in database["accounts"].find({}, ["version"])}
            time.sleep(0.1)
            read = {view.account_id.hex: view.version for view in AccountView.objects.all()}
            results["consistent"] = written == read
            results["system"] = "CQRS Sync"
            results["mongodb"] = "MONGO_URL" if os.environ.get("MONGO_URL") else "stand-in"
        finally:
            poller.close()
            projector.send_signal(signal.SIGCONT)
            projector.terminate()
            projector.wait(timeout=60)
            client.drop_database(database.name)
            client.close()
    print(f"consistent: {results['consistent']}", flush=True)
    if options.json:
        Path(options.json).write_text(json.dumps(results))


if __name__ == "__main__":
    main()
