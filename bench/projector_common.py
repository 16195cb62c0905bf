"""Benchmark support for the projector benches: a MongoDB (real or stand-in) and a fresh MySQL database.

Importing this module sets up Django on ``config.settings.test`` with the benchmark's own MySQL
database (``BENCH_DATABASE_URL``, default mysql://root:@127.0.0.1:3306/cqrs_bench_projector),
created and migrated if needed.
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = REPO_ROOT / "bench" / "results" / "logs"  # logs of the processes the benches start
LOG_DIR.mkdir(parents=True, exist_ok=True)
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", "mysql://root:@127.0.0.1:3306/cqrs_bench_projector"
)

import django  # noqa: E402
import MySQLdb  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402


def prepare_read_database() -> dict[str, str]:
    """Create and migrate the benchmark database; return its connection settings for child processes."""
    db = settings.DATABASES["default"]
    server = MySQLdb.connect(host=db["HOST"] or "127.0.0.1", port=int(db["PORT"] or 3306),
                             user=db["USER"], password=db["PASSWORD"] or "")
    server.cursor().execute(f"CREATE DATABASE IF NOT EXISTS `{db['NAME']}` CHARACTER SET utf8mb4")
    server.close()
    call_command("migrate", verbosity=0)
    return {"DATABASE_URL": os.environ["DATABASE_URL"]}


def truncate_read_side() -> None:
    with connection.cursor() as cursor:
        for table in ("accounts_read_ledgerline", "accounts_read_dailytotal", "accounts_read_accountview",
                      "projector_checkpoint", "projector_projectorlease"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed table names)




def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values: list[float]) -> str:
    ms = [value * 1000 for value in values]
    return (f"n={len(ms)} p50={percentile(ms, 0.5):.1f} ms p95={percentile(ms, 0.95):.1f} ms "
            f"p99={percentile(ms, 0.99):.1f} ms max={max(ms):.1f} ms mean={statistics.fmean(ms):.1f} ms")
