"""Conformance: the stand-in's declared refusals, and which unified tests exercise each of them.

A refusal is a real MongoDB feature the stand-in answers with an error (238 NotImplemented or the
error mongod gives where the feature is off) instead of implementing it. A test that exercises one
and fails with that refusal's error is reported skipped, naming it, and counted as not passed. The
stand-in README's table of refusals is checked against this list (tests/unit/mongo_standin/
test_scope_table.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Scenario = dict[str, Any]


NOT_IMPLEMENTED = "not supported by the MongoDB stand-in"


@dataclass(frozen=True)
class Refusal:
    key: str
    feature: str
    answer: str
    exercised_by: Callable[[Scenario, Scenario], bool]
    signature: str = NOT_IMPLEMENTED  # what the failure says when this refusal caused it

    def caused(self, failure: str) -> bool:
        return self.signature in failure


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def uses_key(*keys: str) -> Callable[[Scenario, Scenario], bool]:
    """The test's operations (or the file's entities and data options) mention one of ``keys``."""

    def check(file_spec: Scenario, test: Scenario) -> bool:
        scope = [
            test.get("operations", []),
            file_spec.get("createEntities", []),
            file_spec.get("initialData", []),
        ]
        return any(key in keys for key, _ in _walk(scope))

    return check


def _secondary_reads(file_spec: Scenario, test: Scenario) -> bool:
    scope = [test.get("operations", []), file_spec.get("createEntities", [])]
    for key, value in _walk(scope):
        mode = value.get("mode") if isinstance(value, dict) else value
        if key == "readPreference" and mode == "secondary":
            return True
    return False


REFUSALS: tuple[Refusal, ...] = (
    Refusal(
        "secondaries",
        "reads that need a secondary (readPreference `secondary`): it is a single-node replica set",
        "no secondary member to select (server selection times out)",
        _secondary_reads,
        "no replica set members match selector",
    ),
    Refusal(
        "out-merge",
        "aggregation stages `$out` and `$merge`",
        "238 NotImplemented",
        uses_key("$out", "$merge"),
    ),
    Refusal("views", "views (`create` with `viewOn`/`pipeline`)", "238 NotImplemented", uses_key("viewOn")),
    Refusal("collation", "collation (other than `simple`)", "238 NotImplemented", uses_key("collation")),
    Refusal(
        "array-filters",
        "positional updates (`$`, `$[]`, `$[id]`) and `arrayFilters`",
        "238 NotImplemented",
        uses_key("arrayFilters"),
    ),
    Refusal("let", "`let` variables in commands", "238 NotImplemented", uses_key("let")),
    Refusal(
        "special-collections",
        "capped, time-series and clustered collections, validators, TTL indexes",
        "238 NotImplemented",
        uses_key("capped", "timeseries", "clusteredIndex", "validator", "expireAfterSeconds"),
    ),
    Refusal(
        "query-operators",
        "query operators `$expr`, `$where`, `$text`, `$jsonSchema`, geo and bitwise operators",
        "238 NotImplemented",
        uses_key("$expr", "$where", "$text", "$jsonSchema", "$near", "$geoWithin", "$bitsAllSet"),
    ),
)


def refusal_for(file_spec: Scenario, test: Scenario) -> Refusal | None:
    return next((r for r in REFUSALS if r.exercised_by(file_spec, test)), None)


def scope_table() -> str:
    """The stand-in README's table of refusals, generated from REFUSALS."""
    rows = ["| refusal | what the stand-in does not implement | its answer |", "|---|---|---|"]
    rows += [f"| `{r.key}` | {r.feature} | {r.answer} |" for r in REFUSALS]
    return "\n".join(rows)
