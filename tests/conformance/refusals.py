"""Conformance: the stand-in's declared refusals, and which unified tests exercise each of them.

A refusal is a real MongoDB feature the stand-in answers with an error (238 NotImplemented or the
error mongod gives where the feature is off) instead of implementing it. The conformance run skips
the tests that need one, naming it, and counts them as not passed. The stand-in README's table of
refusals is checked against this list (tests/unit/mongo_standin/test_scope_table.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Scenario = dict[str, Any]


@dataclass(frozen=True)
class Refusal:
    key: str
    feature: str
    answer: str
    exercised_by: Callable[[Scenario, Scenario], bool]


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


REFUSALS: tuple[Refusal, ...] = ()


def refusal_for(file_spec: Scenario, test: Scenario) -> Refusal | None:
    return next((r for r in REFUSALS if r.exercised_by(file_spec, test)), None)
