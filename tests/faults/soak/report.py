"""Soak: figures per kind of fault, and docs/RELIABILITY.md with a plot of lag over time."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.faults.soak.faults import DATABASE_OUTAGES, KILLS, LEADER_FAULTS, OUTAGES, Fault
from tests.faults.soak.invariants import Check
from tests.faults.soak.monitor import Monitor


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Results:
    seed: int
    minutes: float
    command: str
    started: float
    ended: float
    faults: list[Fault]
    checks: list[Check]
    converge: dict[str, list[float | None]] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    final_convergence: float | None = None

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def kills(self) -> int:
        return sum(1 for f in self.faults if f.kind in KILLS)

    @property
    def outages(self) -> int:
        return sum(1 for f in self.faults if f.kind in DATABASE_OUTAGES)


def convergence(faults: list[Fault], monitor: Monitor) -> dict[str, list[float | None]]:
    """Per kind, seconds from the fault's end — a frozen leader's: from its freeze, as the sync must
    go on without it — until everything written before that moment was projected. Kinds ending in
    ``/alone``: the same for kills with no outage running until they converged."""
    per_kind: dict[str, list[float | None]] = defaultdict(list)
    outages = [(f.start, f.end) for f in faults if f.kind in OUTAGES]
    for fault in faults:
        since = fault.start if fault.kind in LEADER_FAULTS else fault.end
        moment = monitor.converged_at(since)
        took = None if moment is None else moment - since
        per_kind[fault.kind].append(took)
        if (
            fault.kind in KILLS
            and moment is not None
            and not any(start <= moment and end >= fault.start for start, end in outages)
        ):
            per_kind[f"{fault.kind}/alone"].append(took)
    return dict(per_kind)


def _cells(times: list[float | None]) -> str:
    done = [t for t in times if t is not None]
    never = len(times) - len(done)
    tail = f" ({never} never)" if never else ""
    if not done:
        return f"– | – | –{tail}"
    return f"{percentile(done, 50):.1f} s | {percentile(done, 99):.1f} s | {max(done):.1f} s{tail}"


def fault_table(results: Results) -> list[str]:
    lines = [
        "| fault | injected | converged after: p50 | p99 | max "
        "| with no outage running: n | p50 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in [*KILLS, *OUTAGES]:
        times = results.converge.get(kind, [])
        if not times:
            continue
        alone = results.converge.get(f"{kind}/alone", [])
        rest = f"{len(alone)} | {_cells(alone)}" if kind in KILLS else " | | | "
        lines.append(f"| {DESCRIPTIONS.get(kind, kind)} | {len(times)} | {_cells(times)} | {rest} |")
    return lines


DESCRIPTIONS = {
    "gunicorn-worker": "SIGKILL a gunicorn worker",
    "gunicorn-master": "SIGKILL the gunicorn master",
    "celery-worker": "SIGKILL the Celery worker",
    "celery-beat": "SIGKILL Celery beat",
    "projector-a": "SIGKILL projector a",
    "projector-b": "SIGKILL projector b",
    "cut-mysql": "cut MySQL (all links)",
    "cut-mongodb": "cut MongoDB",
    "cut-redis": "cut Redis",
    "crash-mariadb": "SIGKILL MariaDB, restart (crash recovery)",
    "crash-mongodb": "SIGKILL the stand-in, restart from its data directory",
    "pause-leader": "SIGSTOP the leading projector",
    "pause-leader-in-batch": "SIGSTOP the leader inside a batch (row locks held)",
    "half-open-leader": "the leader's MySQL link goes half-open (no FIN)",
}


def markdown(results: Results, plot_name: str | None) -> str:
    c = results.counts
    takeovers = sorted(
        f.takeover for f in results.faults if f.kind in LEADER_FAULTS and f.takeover is not None
    )
    lines = [
        "# Reliability: the chaos soak",
        "",
        "Written by the soak (`make soak`, `tests/faults/soak/`): the real processes under a steady",
        "mixed load while a seeded scheduler kills and cuts them at random; then every invariant is",
        "checked. Reproduce this run with:",
        "",
        f"    {results.command}",
        "",
        f"Result: **{'all invariants held' if results.ok else 'INVARIANTS VIOLATED'}** — "
        f"seed {results.seed}, "
        f"{results.minutes:g} minutes of faults, {results.kills} process kills, {results.outages} database "
        f"outages (plus {sum(f.kind == 'cut-redis' for f in results.faults)} Redis cuts and "
        f"{len(takeovers)} frozen leaders).",
        "",
        "## Load",
        "",
        f"- {c['commands']} commands from {c['clients']} concurrent HTTP clients "
        f"({c['acknowledged']} acknowledged with a 2xx, {c['refused']} refused with a 4xx, "
        f"{c['invalid']} of them deliberately invalid); {c['repeats']} deliberate repeats of an "
        "Idempotency-Key;",
        f"- {c['retried']} commands needed more than one attempt (no answer, or a 503) and were retried "
        "with the same key until their outcome was known;",
        f"- {c['reads']} reads of the read API; {c['answers']} HTTP answers in all, {c['no_answer']} "
        "attempts got no HTTP answer (a web process killed under them, or gunicorn restarting).",
        "",
        "## Faults and time to converge",
        "",
        "Converged: every event written before the fault ended is projected into MySQL (the sync",
        "status's lag reaches past the fault); for a frozen leader, every event written before it froze",
        "(the standby must carry on without it). A kill ends when it is sent; the process comes back through",
        "the supervisor (0.2–1.5 s later). Kills keep coming during outages, so a kill's time may include",
        "an outage running at the time; the last columns leave those out. Outages run one at a time.",
        "",
        *fault_table(results),
        "",
        "Leader takeovers after a frozen leader: "
        + (f"p50 {percentile(takeovers, 50):.1f} s, max {max(takeovers):.1f} s" if takeovers else "none")
        + f" (lease {results.settings['lease_seconds']:g} s, "
        f"standby poll {results.settings['standby_poll_seconds']:g} s).",
        "",
        "After the last fault, write and read side agreed account for account within "
        + (f"{results.final_convergence:.1f} s." if results.final_convergence is not None else "— never."),
        "",
        "## Invariants",
        "",
        "| invariant | result | detail |",
        "|---|---|---|",
        *[
            f"| {check.name} | {'held' if check.ok else '**VIOLATED**'} | {check.detail} |"
            for check in results.checks
        ],
        "",
    ]
    if plot_name:
        lines += ["## Lag over time", "", f"![lag over time, faults marked]({plot_name})", ""]
    lines += [
        "## Set-up",
        "",
        "Private services started by the soak (own data directories and ports): MariaDB 10.11 "
        "(`mariadbd`, killed and restarted with crash recovery), Redis, the MongoDB stand-in with "
        "`--dbpath`; gunicorn "
        f"({results.settings['gunicorn_workers']} workers, `--preload`), two projectors, a Celery worker "
        "(solo pool) and beat. Every process reaches the databases through TCP proxies that the scheduler "
        "cuts (connections reset, new ones refused) or freezes (half-open: nothing crosses, nobody is told).",
        "Figures were measured on a 2-core machine shared with other engineers' test runs: noisy.",
        "",
    ]
    return "\n".join(lines)


def plot(results: Results, monitor: Monitor, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    start = results.started
    figure, axis = plt.subplots(figsize=(18, 6), dpi=100)
    xs = [(s.at - start) / 60 for s in monitor.samples]
    ys = [s.lag if s.lag is not None else math.nan for s in monitor.samples]
    axis.plot(xs, ys, color="black", linewidth=0.7, label="lag (s)")
    colours = {
        "cut-mysql": "tab:orange",
        "crash-mariadb": "tab:red",
        "cut-mongodb": "tab:green",
        "crash-mongodb": "tab:olive",
        "cut-redis": "tab:purple",
        "pause-leader": "tab:blue",
        "pause-leader-in-batch": "tab:cyan",
        "half-open-leader": "tab:pink",
    }
    seen: set[str] = set()
    for fault in results.faults:
        if fault.kind in colours:
            label = None if fault.kind in seen else fault.kind
            seen.add(fault.kind)
            axis.axvspan(
                (fault.start - start) / 60,
                (fault.end - start) / 60,
                color=colours[fault.kind],
                alpha=0.25,
                label=label,
            )
    kills = [(f.start - start) / 60 for f in results.faults if f.kind in KILLS]
    top = max([y for y in ys if not math.isnan(y)], default=1.0) or 1.0
    axis.plot(kills, [-0.03 * top] * len(kills), "|", color="tab:gray", markersize=6, label="process kill")
    axis.set_xlabel("minutes since the first fault")
    axis.set_ylabel("lag: age of the oldest unprojected event (s)")
    axis.set_title(f"Chaos soak, seed {results.seed}: lag with faults marked")
    axis.legend(loc="upper right", fontsize=7, ncol=2)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
