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
# The expected failures pymongo's own test modules declare for APIs pymongo lacks
# (test_retryable_reads_unified.py: no MapReduce, ListDatabaseObjects or ListCollectionObjects).
PYMONGO_EXPECTED_FAILURES = {
    "retryable-reads": ["ListDatabaseObjects .*", "ListCollectionObjects .*", "MapReduce .*"],
}
REFUSAL_PREFIX = "stand-in refusal "
# Skips that say the test does not apply: its own runOnRequirements, or pymongo lacking the API.
NOT_APPLICABLE = ("runOnRequirements not satisfied", "PyMongo does not support", "Implement PYTHON-")
PYMONGO_LACKS = "pymongo declares it an expected failure"


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
        head = ("passed", "applicable", "rate", "failed", "refused", "n/a")
        lines = [f"{'spec':30}" + "".join(f"{h:>11}" for h in head)]
        total = SpecRow("all")
        for row in [*self.rows, total]:
            if row is total:
                for name in ("passed", "failed", "refused", "not_applicable"):
                    setattr(total, name, sum(getattr(r, name) for r in self.rows))
                total.other_skips = {"": sum(sum(r.other_skips.values()) for r in self.rows)}
            cells = (
                row.passed,
                row.applicable,
                f"{row.rate:.1f}%",
                row.failed,
                row.refused,
                row.not_applicable,
            )
            lines.append(f"{row.spec:30}" + "".join(f"{c:>11}" for c in cells))
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
        elif outcome in ("xfailed", "xpassed"):
            row.not_applicable += 1  # pymongo declares it cannot run the test
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
