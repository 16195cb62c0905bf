"""Conformance: classify each unified test's outcome and print the pass rate per spec."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Spec name -> the directory of its unified-format JSON files inside pymongo's test/.
SPECS = {
    "transactions": "transactions/unified",
    "transactions-convenient-api": "transactions-convenient-api/unified",
    "change-streams": "change_streams/unified",
    "retryable-writes": "retryable_writes/unified",
    "retryable-reads": "retryable_reads/unified",
    "sessions": "sessions",
}
REFUSAL_PREFIX = "stand-in refusal "
# Skips that say the test does not apply: its own runOnRequirements, or pymongo lacking the API.
NOT_APPLICABLE = ("runOnRequirements not satisfied", "PyMongo does not support", "Implement PYTHON-")


@dataclass
class SpecRow:
    spec: str
    passed: int = 0
    failed: int = 0
    refused: int = 0
    not_applicable: int = 0
    other_skips: dict[str, int] = field(default_factory=dict)

    @property
    def applicable(self) -> int:
        return self.passed + self.failed + self.refused + sum(self.other_skips.values())

    @property
    def rate(self) -> float:
        return 100.0 * self.passed / self.applicable if self.applicable else 0.0


@dataclass
class Table:
    rows: list[SpecRow]

    def __str__(self) -> str:
        lines = [
            f"{'spec':30} {'passed':>7} {'applicable':>10} {'rate':>7} {'failed':>7} {'refused':>8} {'n/a':>5}",
        ]
        for row in self.rows:
            lines.append(
                f"{row.spec:30} {row.passed:7d} {row.applicable:10d} {row.rate:6.1f}% {row.failed:7d} "
                f"{row.refused:8d} {row.not_applicable:5d}"
            )
        total = SpecRow("all", *(sum(getattr(r, f) for r in self.rows) for f in ("passed", "failed", "refused")))
        total.not_applicable = sum(r.not_applicable for r in self.rows)
        total.other_skips = {"": sum(sum(r.other_skips.values()) for r in self.rows)}
        lines.append(
            f"{'all':30} {total.passed:7d} {total.applicable:10d} {total.rate:6.1f}% {total.failed:7d} "
            f"{total.refused:8d} {total.not_applicable:5d}"
        )
        return "\n".join(lines)


def spec_of(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return module.removeprefix("test_standin_").removesuffix(".py").replace("_", "-")


def summarise(records: Iterable[dict[str, Any]], specs: list[str]) -> tuple[Table, list[str]]:
    rows = {spec: SpecRow(spec) for spec in specs}
    notes: list[str] = []
    for record in records:
        row = rows[spec_of(record["nodeid"])]
        outcome, reason = record["outcome"], record.get("reason", "")
        if outcome == "passed":
            row.passed += 1
        elif outcome == "failed":
            row.failed += 1
            notes.append(f"FAILED {record['nodeid']}: {reason}")
        elif reason.startswith(REFUSAL_PREFIX):
            row.refused += 1
            notes.append(f"REFUSED {record['nodeid']}: {reason}")
        elif any(reason.startswith(prefix) or prefix in reason for prefix in NOT_APPLICABLE):
            row.not_applicable += 1
        else:
            # A skip nobody declared counts against the rate, like a failure.
            row.other_skips[reason] = row.other_skips.get(reason, 0) + 1
            notes.append(f"SKIPPED {record['nodeid']}: {reason}")
    return Table(list(rows.values())), sorted(notes)
