"""The benchmarks still run against today's schema and code, on tiny inputs (the figures come
from ``make bench``; these runs only prove the scripts work).

Regressions: ``bench/projector_catchup.py`` inserted read-model rows without the ``attention``
column the dead-letter queue added, and ``make bench`` failed its catch-up step; the second run
of ``bench/hot_account.py`` on a database failed, its API key's fixed name being taken.
"""

from __future__ import annotations

import os

import pytest

from tests.scripts import run_python

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("script", "arguments", "expected"),
    [
        ("bench/projector_catchup.py", ["--events", "200", "--accounts", "10", "--repeat", "1"], "of raw"),
        (
            "bench/operations.py",
            ["--events", "300", "--accounts", "20", "--reconcile-accounts", "50", "--rounds", "1"],
            "replay",
        ),
    ],
)
def test_a_benchmark_runs_to_its_figures_on_a_tiny_input(script, arguments, expected):
    assert expected in run_bench(script, arguments)


def test_the_hot_account_bench_runs_twice_on_the_same_database():
    arguments = ["--writers", "2", "--deposits", "2", "--workers", "1"]
    for _ in range(2):
        assert "exact: True" in run_bench("bench/hot_account.py", arguments)


def run_bench(script: str, arguments: list[str]) -> str:
    env = {**os.environ, "BENCH_DATABASE_URL": "mysql://root:@127.0.0.1:3306/cqrs_bench_smoke"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = run_python([script, *arguments], env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
