"""Benchmark suite (``make bench``): CQRS Sync and django-cqrs side by side, then our own figures.

Usage (the bench virtualenv, from the repository root):
    .venv-bench/bin/python bench/run_all.py [--rounds 2] [--seconds 8] [--out docs/BENCHMARKS.md]

Runs, each as its own process, writing JSON under ``bench/results/<time>/``:
  1. the lag phases (``lag_ours.py`` and ``lag_peer.py``) in interleaved rounds (ours, peer;
     then peer, ours; …), the same rates, writers, burst and poller for both;
  2. our hot account, catch-up (vs raw MySQL, by backlog size, by account count, memory) and
     write path;
then writes ``docs/BENCHMARKS.md`` and its plots (``bench/report.py``). Environment knobs:
BENCH_ROUNDS, BENCH_SECONDS, BENCH_RATES ("50,200,…"), BENCH_BURST, BENCH_THREADS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def env_list(name: str, default: str) -> list[str]:
    return [item for item in os.environ.get(name, default).split(",") if item]


def run(step: str, command: list[str], out: Path, log: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Run one benchmark process; its JSON result, or None (and the failure noted) if it failed."""
    result_path = out / f"{step}.json"
    started = time.monotonic()
    load = os.getloadavg()[0]
    print(f"\n=== {step}: {' '.join(command)} (load {load:.2f})", flush=True)
    completed = subprocess.run([*command, "--json", str(result_path)], cwd=str(REPO), check=False)
    entry = {
        "step": step,
        "command": " ".join(command),
        "seconds": round(time.monotonic() - started, 1),
        "load_before": round(load, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "status": completed.returncode,
    }
    log.append(entry)
    if completed.returncode != 0 or not result_path.exists():
        print(f"=== {step} FAILED (exit {completed.returncode})", flush=True)
        return None
    return dict(json.loads(result_path.read_text()))


def versions() -> dict[str, str]:
    def output(command: list[str]) -> str:
        try:
            return subprocess.run(
                command, capture_output=True, text=True, timeout=30, check=False
            ).stdout.strip()
        except OSError:
            return "?"

    import importlib.metadata as metadata

    import django

    return {
        "python": sys.version.split()[0],
        "django": django.get_version(),
        "django-cqrs": metadata.version("django-cqrs"),
        "pymongo": metadata.version("pymongo"),
        "mariadb": output(["mysql", "-h127.0.0.1", "-uroot", "-N", "-e", "SELECT VERSION()"]),
        "rabbitmq": output(["rabbitmqctl", "-q", "eval", "rabbit_misc:version()."]).strip('"'),
        "kernel": os.uname().release,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", "2")))
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "8")))
    parser.add_argument("--out", default=str(REPO / "docs" / "BENCHMARKS.md"))
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness, not the speed")
    options = parser.parse_args()
    started = time.monotonic()
    out = BENCH / "results" / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    quick = options.quick
    rates = env_list("BENCH_RATES", "50,200" if quick else "50,200,500,1000")
    phases = [
        "--rates",
        *rates,
        "--seconds",
        str(3 if quick else options.seconds),
        "--burst",
        os.environ.get("BENCH_BURST", "500" if quick else "3000"),
        "--single-writer",
        "50" if quick else "200",
        "--threads",
        os.environ.get("BENCH_THREADS", "8"),
    ]
    steps: list[dict[str, Any]] = []
    results: dict[str, Any] = {"versions": versions(), "rounds": {"ours": [], "peer": []}, "quick": quick}
    for round_number in range(1 if quick else options.rounds):
        order = ["ours", "peer"] if round_number % 2 == 0 else ["peer", "ours"]
        for system in order:
            outcome = run(
                f"lag-{system}-{round_number + 1}", [python, f"bench/lag_{system}.py", *phases], out, steps
            )
            if outcome is not None:
                results["rounds"][system].append(outcome)
    small: dict[str, list[str]] = {
        "hot": ["--writers", "8", "--deposits", "5"],
        "raw": ["--events", "5000", "--repeat", "1"],
        "scaling": ["--sizes", "1000", "5000", "--accounts", "1000", "5000", "--account-events", "2000"],
        "write": ["--deposits", "400", "--rounds", "2"],
    }
    extra = small if quick else {key: [] for key in small}
    results["hot_account"] = run("hot-account", [python, "bench/hot_account.py", *extra["hot"]], out, steps)
    results["catchup_vs_raw"] = run(
        "catchup-vs-raw", [python, "bench/projector_catchup.py", *extra["raw"]], out, steps
    )
    results["catchup_scaling"] = run(
        "catchup-scaling", [python, "bench/catchup_scaling.py", *extra["scaling"]], out, steps
    )
    results["write_path"] = run(
        "write-path", [python, "-m", "bench.write_throughput", *extra["write"]], out, steps
    )
    results["steps"] = steps
    results["total_seconds"] = round(time.monotonic() - started, 1)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    (out / "all.json").write_text(json.dumps(results))
    subprocess.run(
        [python, "bench/report.py", str(out / "all.json"), "--out", options.out], cwd=str(REPO), check=True
    )
    failed = [step["step"] for step in steps if step["status"] != 0]
    print(
        f"\nbench finished in {results['total_seconds']:.0f} s; results in {out}; report {options.out}"
        + (f"; FAILED: {', '.join(failed)}" if failed else ""),
        flush=True,
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
