"""Benchmark report: docs/BENCHMARKS.md and its plots, from the JSON that ``bench/run_all.py`` collected.

Usage: .venv-bench/bin/python bench/report.py bench/results/<time>/all.json [--out docs/BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NAMES = {"ours": "CQRS Sync", "peer": "django-cqrs"}


def median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def ratio(ours: float | None, peer: float | None) -> str:
    return "–" if not ours or not peer else f"{ours / peer:.2f}"


class Lag:
    """Medians over rounds of one system's lag results."""

    def __init__(self, rounds: list[dict[str, Any]]) -> None:
        self.rounds = rounds

    def rate(self, rate: str, key: str) -> float | None:
        return median([r["rates"][rate].get(key) for r in self.rounds if rate in r.get("rates", {})])

    def phase(self, phase: str, key: str) -> float | None:
        return median([r[phase].get(key) for r in self.rounds if phase in r])

    def each(self, rate: str) -> str:
        return "; ".join(
            f"{r['rates'][rate]['p50_ms']:.1f}/{r['rates'][rate]['p99_ms']:.1f}"
            for r in self.rounds
            if rate in r.get("rates", {})
        )

    def lags(self, rate: str | None) -> list[float]:
        pooled: list[float] = []
        for r in self.rounds:
            source = r.get("single_writer") if rate is None else r.get("rates", {}).get(rate)
            pooled += (source or {}).get("lags_ms", [])
        return pooled

    def highest_rate(self, rates: list[str], p99_limit: float = 50.0) -> str:
        good = [
            rate
            for rate in rates
            if (p99 := self.rate(rate, "p99_ms")) is not None
            and p99 <= p99_limit
            and (self.rate(rate, "achieved_rate") or 0) >= 0.95 * float(rate)
        ]
        return f"{float(max(good, key=float)):.0f}/s" if good else "none of the measured rates"


def lag_section(ours: Lag, peer: Lag, rates: list[str]) -> list[str]:
    lines = [
        "## Lag: command acknowledged → row visible to a separate poller",
        "",
        "Median over the rounds; ms. *backlog → drain*: writes not yet visible when the writers "
        "stopped, and how fast that backlog drained (only when ≥ 10 were left). Ratio = CQRS Sync / "
        "django-cqrs (below 1: we are faster). Where the achieved rate is well below the target, "
        "the writers could not keep the schedule on this machine (no write starts after 1.25× the "
        "phase's time), and the lag includes the writers' own queueing.",
        "",
        "| rate /s | system | achieved /s | p50 | p95 | p99 | max | backlog → drain /s "
        "| p50/p99 of each round |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for rate in rates:
        for system, lag in (("ours", ours), ("peer", peer)):
            drain = lag.rate(rate, "drain_rate")
            lines.append(
                f"| {float(rate):.0f} | {NAMES[system]} | {fmt(lag.rate(rate, 'achieved_rate'))} | "
                f"{fmt(lag.rate(rate, 'p50_ms'))} | {fmt(lag.rate(rate, 'p95_ms'))} | "
                f"{fmt(lag.rate(rate, 'p99_ms'))} | {fmt(lag.rate(rate, 'max_ms'))} | "
                f"{fmt(lag.rate(rate, 'backlog_at_end'), 0)} → {fmt(drain, 0)} | {lag.each(rate)} |"
            )
        lines.append(
            f"| | **ratio** | {ratio(ours.rate(rate, 'achieved_rate'), peer.rate(rate, 'achieved_rate'))} | "
            f"**{ratio(ours.rate(rate, 'p50_ms'), peer.rate(rate, 'p50_ms'))}** | "
            f"{ratio(ours.rate(rate, 'p95_ms'), peer.rate(rate, 'p95_ms'))} | "
            f"**{ratio(ours.rate(rate, 'p99_ms'), peer.rate(rate, 'p99_ms'))}** | | | |"
        )
    lines += [
        "",
        f"Highest measured rate with p99 ≤ 50 ms (and ≥ 95 % of it achieved): CQRS Sync "
        f"**{ours.highest_rate(rates)}**, django-cqrs **{peer.highest_rate(rates)}**.",
        "",
        "**Single sequential writer** (each write waits until the poller sees it; ms):",
        "",
        "| system | p50 | p95 | p99 | max |",
        "|---|---|---|---|---|",
    ]
    for system, lag in (("ours", ours), ("peer", peer)):
        lines.append(
            f"| {NAMES[system]} | {fmt(lag.phase('single_writer', 'p50_ms'))} | "
            f"{fmt(lag.phase('single_writer', 'p95_ms'))} | {fmt(lag.phase('single_writer', 'p99_ms'))} | "
            f"{fmt(lag.phase('single_writer', 'max_ms'))} |"
        )
    lines.append(
        f"| **ratio** | **{ratio(*(lag.phase('single_writer', 'p50_ms') for lag in (ours, peer)))}** "
        f"| | **{ratio(ours.phase('single_writer', 'p99_ms'), peer.phase('single_writer', 'p99_ms'))}** | |"
    )
    lines += [
        "",
        "**Burst and drain** (updates/s): the burst is written as fast as the writer threads go with "
        "the applier running; the drain backlog (as many writes) is written while the applier is "
        "frozen (SIGSTOP), then drained by it alone. Both stop being written after 20 s.",
        "",
        "| system | writes | burst write | burst apply | backlog at end → drained in (s) "
        "| drain, applier alone |",
        "|---|---|---|---|---|---|",
    ]
    for system, lag in (("ours", ours), ("peer", peer)):
        lines.append(
            f"| {NAMES[system]} | {fmt(lag.phase('burst', 'writes'), 0)} | "
            f"{fmt(lag.phase('burst', 'write_rate'), 0)} | "
            f"{fmt(lag.phase('burst', 'apply_rate'), 0)} | {fmt(lag.phase('burst', 'backlog_at_end'), 0)} "
            f"→ {fmt(lag.phase('burst', 'drain_s'), 2)} | {fmt(lag.phase('drain', 'drain_rate'), 0)} |"
        )
    lines.append(
        f"| **ratio** | | {ratio(ours.phase('burst', 'write_rate'), peer.phase('burst', 'write_rate'))} | "
        f"{ratio(ours.phase('burst', 'apply_rate'), peer.phase('burst', 'apply_rate'))} | | "
        f"**{ratio(ours.phase('drain', 'drain_rate'), peer.phase('drain', 'drain_rate'))}** |"
    )
    return lines


def plot_lags(ours: Lag, peer: Lag, rates: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels: list[str | None] = [None, *rates]
    columns = 3
    rows = (len(panels) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(5 * columns, 3.6 * rows), squeeze=False)
    for index, rate in enumerate(panels):
        axis = axes[index // columns][index % columns]
        for system, lag, colour in (("ours", ours, "tab:blue"), ("peer", peer, "tab:orange")):
            values = sorted(max(0.05, value) for value in lag.lags(rate))
            if values:
                shares = [(n + 1) / len(values) for n in range(len(values))]
                axis.step(values, shares, where="post", label=NAMES[system], color=colour)
        axis.set_xscale("log")
        axis.set_title("single sequential writer" if rate is None else f"{float(rate):.0f} updates/s")
        axis.set_xlabel("lag (ms, log scale)")
        axis.set_ylabel("share of updates visible")
        axis.axvline(50, color="grey", linestyle=":", linewidth=0.8)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(loc="lower right")
    for index in range(len(panels), rows * columns):
        axes[index // columns][index % columns].axis("off")
    figure.suptitle("Lag distributions (CDF, all rounds pooled): acknowledged → visible to the poller")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def catchup_section(results: dict[str, Any], plot: Path) -> list[str]:
    lines = ["## Catch-up (CQRS Sync)", ""]
    raw = results.get("catchup_vs_raw")
    if raw:
        lines += [
            f"A {raw['events']:,}-event backlog over {raw['accounts']} accounts, batch {raw['batch']}, "
            f"median of {raw['repeat']} interleaved rounds (`bench/projector_catchup.py`):",
            "",
            "| path | events/s | of raw | rounds (s) |",
            "|---|---|---|---|",
            f"| raw MySQL writes (same final rows, no gate, no MongoDB) | {raw['raw_per_s']:,.0f} | 1.00 | "
            f"{' '.join(f'{t:.2f}' for t in raw['rounds_s']['raw'])} |",
            f"| `apply_events` alone | {raw['apply_per_s']:,.0f} | {raw['apply_ratio']:.2f} | "
            f"{' '.join(f'{t:.2f}' for t in raw['rounds_s']['apply'])} |",
            f"| **catch-up from the outbox** (read, apply, mark done) | {raw['catch_up_per_s']:,.0f} | "
            f"**{raw['catch_up_ratio']:.2f}** | "
            f"{' '.join(f'{t:.2f}' for t in raw['rounds_s']['catch-up'])} |",
            f"| MongoDB side alone (read + mark done, no MySQL) | {raw['mongo_only_per_s']:,.0f} | – | "
            f"{' '.join(f'{t:.2f}' for t in raw['rounds_s']['mongo'])} |",
            "",
        ]
    scaling = results.get("catchup_scaling")
    if scaling:
        lines += [
            "A real `runprojector` started on a backlog nobody projected yet (`bench/catchup_scaling.py`; "
            "time from its log, memory from /proc every 50 ms):",
            "",
            "| backlog | events/s | µs/event | RSS peak (sampled) / when done (MB) | high-water (MB) |",
            "|---|---|---|---|---|",
        ]
        for row in scaling["by_size"]:
            lines.append(
                f"| {row['events']:,} events | {row['events_per_second']:,.0f} | {row['us_per_event']:.0f} | "
                f"{fmt(row['rss_peak_mb'])} / {fmt(row['rss_done_mb'])} | {row['rss_high_water_mb']:.1f} |"
            )
        lines += [
            "",
            "| read side holds | backlog | events/s | µs/event | peak RSS (MB) |",
            "|---|---|---|---|---|",
        ]
        for row in scaling["by_accounts"]:
            lines.append(
                f"| {row['accounts']:,} accounts | {row['events']:,} deposits at random | "
                f"{row['events_per_second']:,.0f} | {row['us_per_event']:.0f} | {fmt(row['rss_peak_mb'])} |"
            )
        lines += ["", f"![catch-up rate and memory vs backlog size]({plot.name})", ""]
        plot_catchup(scaling, plot)
    return lines


def plot_catchup(scaling: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = scaling["by_size"]
    sizes = [row["events"] for row in rows]
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.plot(sizes, [row["events_per_second"] for row in rows], "o-", color="tab:blue", label="events/s")
    axis.set_xscale("log")
    axis.set_xlabel("backlog (events, log scale)")
    axis.set_ylabel("catch-up rate (events/s)", color="tab:blue")
    axis.set_ylim(bottom=0)
    memory = axis.twinx()
    memory.plot(sizes, [row["rss_peak_mb"] for row in rows], "s--", color="tab:red", label="peak RSS")
    memory.set_ylabel("projector peak RSS (MB)", color="tab:red")
    memory.set_ylim(bottom=0)
    axis.grid(True, which="both", alpha=0.3)
    axis.set_title("Projector start-up catch-up vs backlog size")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def hot_and_write_sections(results: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    hot = results.get("hot_account")
    if hot:
        latency = hot["latency"]
        percentiles = " / ".join(f"{latency[key]:.0f}" for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms"))
        lines += [
            "## Hot account (CQRS Sync)",
            "",
            f"{hot['writers']} concurrent HTTP clients × {hot['deposits_per_writer']} deposits on ONE "
            "account "
            f"through gunicorn ({hot['gunicorn']}), no client-side retry (`bench/hot_account.py`):",
            "",
            "| commands | answers | balance exact | commands/s | latency p50 / p95 / p99 / max (ms) |",
            "|---|---|---|---|---|",
            f"| {hot['commands']} | {', '.join(f'{k}: {v}' for k, v in hot['statuses'].items())} | "
            f"{'yes' if hot['balance_exact'] else '**NO**'} ({hot['balance']}) | "
            f"{hot['commands_per_second']} | {percentiles} |",
            "",
        ]
    write = results.get("write_path")
    if write:
        rates = write["rates"]
        lines += [
            "## Write path (CQRS Sync)",
            "",
            f"Deposits/s, {write['deposits_per_path']} per path in {write['rounds']} alternating rounds "
            "(`bench/write_throughput.py`):",
            "",
            "| path | deposits/s | of bare pymongo | each round |",
            "|---|---|---|---|",
            "| full HTTP stack (Django test client, all middleware, ninja, bus, MongoDB UoW) | "
            f"{rates['api']:,.0f} | "
            f"**{write['api_ratio']:.2f}** | {' '.join(f'{v:.0f}' for v in write['rounds_rates']['api'])} |",
            f"| the ninja view alone (no middleware) | {rates['view']:,.0f} | {write['view_ratio']:.2f} | "
            f"{' '.join(f'{v:.0f}' for v in write['rounds_rates']['view'])} |",
            f"| bare pymongo, the same transaction | {rates['bare']:,.0f} | 1.00 | "
            f"{' '.join(f'{v:.0f}' for v in write['rounds_rates']['bare'])} |",
            "",
        ]
    return lines


def targets(ours: Lag, peer: Lag, results: dict[str, Any]) -> list[str]:
    def check(ok: bool | None) -> str:
        return "–" if ok is None else ("met" if ok else "**not met**")

    def at_most(value: float | None, limit: float) -> bool | None:
        return None if value is None else value <= limit

    rows = [
        ("lag at 50/s: p50 ≤ 4 ms", ours.rate("50", "p50_ms"), at_most(ours.rate("50", "p50_ms"), 4)),
        ("lag at 50/s: p99 ≤ 10 ms", ours.rate("50", "p99_ms"), at_most(ours.rate("50", "p99_ms"), 10)),
        (
            "single writer: p50 ≤ 4 ms",
            ours.phase("single_writer", "p50_ms"),
            at_most(ours.phase("single_writer", "p50_ms"), 4),
        ),
        (
            "single writer: p99 ≤ 10 ms",
            ours.phase("single_writer", "p99_ms"),
            at_most(ours.phase("single_writer", "p99_ms"), 10),
        ),
        ("lag at 200/s: p50 ≤ 5 ms", ours.rate("200", "p50_ms"), at_most(ours.rate("200", "p50_ms"), 5)),
        ("lag at 200/s: p99 ≤ 15 ms", ours.rate("200", "p99_ms"), at_most(ours.rate("200", "p99_ms"), 15)),
    ]
    for rate in ("50", "200"):
        for key in ("p50_ms", "p99_ms"):
            mine, theirs = ours.rate(rate, key), peer.rate(rate, key)
            rows.append(
                (
                    f"lag at {rate}/s: {key[:3]} at or below the peer's ({fmt(theirs)} ms)",
                    mine,
                    None if mine is None or theirs is None else mine <= theirs,
                )
            )
    hot = results.get("hot_account")
    if hot:
        rows.append(
            (
                "hot account: every command succeeds, balance exact",
                hot["latency"]["p99_ms"],
                hot["succeeded"] == hot["commands"] and hot["balance_exact"],
            )
        )
    raw = results.get("catchup_vs_raw")
    if raw:
        rows.append(("catch-up ≥ 0.8 of raw MySQL", raw["catch_up_ratio"], raw["catch_up_ratio"] >= 0.8))
    scaling = results.get("catchup_scaling")
    if scaling and len(scaling["by_accounts"]) >= 2:
        few, many = scaling["by_accounts"][0], scaling["by_accounts"][-1]
        growth = many["us_per_event"] / few["us_per_event"]
        rows.append(
            (
                f"cost per event flat from {few['accounts']:,} to {many['accounts']:,} accounts (≤ 1.25×)",
                growth,
                growth <= 1.25,
            )
        )
    if scaling and len(scaling["by_size"]) >= 2:
        small, large = scaling["by_size"][0], scaling["by_size"][-1]
        growth = (large["rss_peak_mb"] or 0) / (small["rss_peak_mb"] or 1)
        rows.append(
            (
                f"projector RSS bounded: peak at {large['events']:,} events ≤ 1.25× peak at "
                f"{small['events']:,}",
                growth,
                growth <= 1.25,
            )
        )
    write = results.get("write_path")
    if write:
        rows.append(("write path ≥ 0.85 of bare pymongo", write["api_ratio"], write["api_ratio"] >= 0.85))
    lines = ["## Targets of issue 9, from this run", "", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {name} | {fmt(value, 2)} | {check(ok)} |" for name, value, ok in rows]
    return lines


def machine_section(results: dict[str, Any]) -> list[str]:
    version = results["versions"]
    lines = [
        "## The run",
        "",
        f"Finished {results['finished']}, {results['total_seconds'] / 60:.1f} minutes, by `make bench` "
        "(`bench/run_all.py`). Python {python}, Django {django}, pymongo {pymongo}, django-cqrs {cqrs}, "
        "MariaDB {mariadb} (both systems, one server), RabbitMQ {rabbitmq}, kernel {kernel}. MongoDB: the "
        "project's wire-protocol stand-in (a Python process; `MONGO_URL` measures a real one).".format(
            python=version["python"],
            django=version["django"],
            pymongo=version["pymongo"],
            cqrs=version["django-cqrs"],
            mariadb=version["mariadb"],
            rabbitmq=version["rabbitmq"],
            kernel=version["kernel"],
        ),
        "",
        "How busy the machine was (1-minute load average before/after each step; the machine has "
        f"{os.cpu_count()} cores):",
        "",
        "| step | command | seconds | load before → after | status |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {step['step']} | `{step['command'].split('/')[-1]}` | {step['seconds']:.0f} | "
        f"{step['load_before']:.2f} → {step['load_after']:.2f} | "
        f"{'ok' if step['status'] == 0 else 'FAILED'} |"
        for step in results["steps"]
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--out", default=str(REPO / "docs" / "BENCHMARKS.md"))
    options = parser.parse_args()
    results = json.loads(Path(options.results).read_text())
    out = Path(options.out)
    plots = out.parent / "benchmarks"
    plots.mkdir(parents=True, exist_ok=True)
    ours, peer = Lag(results["rounds"]["ours"]), Lag(results["rounds"]["peer"])
    rates = list((results["rounds"]["ours"] or results["rounds"]["peer"] or [{"rates": {}}])[0]["rates"])
    lag_plot = plots / "lag-distributions.png"
    catchup_plot = plots / "catchup-vs-backlog.png"
    lines = [
        "# Benchmarks: CQRS Sync and django-cqrs, side by side",
        "",
        "Written by `make bench` (`bench/run_all.py` → `bench/report.py`); do not edit by hand. Both "
        "systems ran in the same run, on the same MariaDB, with the same writers (open-loop schedule, "
        "round-robin over 20 accounts), the same burst and the same lag definition: from the write's "
        "acknowledgement (our command bus answered after the MongoDB commit / the peer's `save()` "
        "returned after its commit and publish) to the moment a separate poller process (own MariaDB "
        "connection, every 2 ms) first sees the row at that version. django-cqrs runs as shipped: "
        "master model → RabbitMQ → one `cqrs_consume` worker → replica model.",
        "",
        *targets(ours, peer, results),
        "",
        *lag_section(ours, peer, rates),
        "",
        f"![lag distributions]({plots.name}/{lag_plot.name})",
        "",
        *[
            line.replace(f"]({catchup_plot.name})", f"]({plots.name}/{catchup_plot.name})")
            for line in catchup_section(results, catchup_plot)
        ],
        *hot_and_write_sections(results),
        *machine_section(results),
        "",
    ]
    if ours.rounds or peer.rounds:
        plot_lags(ours, peer, rates, lag_plot)
    consistency = [
        f"{NAMES[system]} round {n + 1}: {'consistent' if r.get('consistent') else 'NOT consistent'}"
        for system in ("ours", "peer")
        for n, r in enumerate(results["rounds"][system])
    ]
    lines += [
        "After every lag run the read side was compared with the write side: " + "; ".join(consistency) + ".",
        "",
    ]
    out.write_text("\n".join(lines))
    print(f"wrote {out} and {plots}/", flush=True)


if __name__ == "__main__":
    main()
