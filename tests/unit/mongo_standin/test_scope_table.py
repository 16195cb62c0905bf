"""Unit tests: the stand-in README's refusal table is the conformance run's list of declared refusals."""

from __future__ import annotations

import re

from tests.conformance.refusals import REFUSALS, scope_table
from tests.mongo_standin.process import REPO_ROOT

README = REPO_ROOT / "tests" / "mongo_standin" / "README.md"


def _readme_table() -> str:
    text = README.read_text()
    match = re.search(r"<!-- scope-table:[^>]*-->\n(.*?)\n<!-- /scope-table -->", text, re.DOTALL)
    assert match is not None, "the README lost its scope-table markers"
    return match.group(1)


def test_readme_scope_table_is_generated_from_the_declared_refusals() -> None:
    assert _readme_table() == scope_table()


def test_every_refusal_has_a_distinct_key() -> None:
    keys = [refusal.key for refusal in REFUSALS]
    assert len(keys) == len(set(keys))


def test_a_test_using_a_refused_feature_is_matched_to_its_refusal() -> None:
    from tests.conformance.refusals import refusal_for

    test = {"operations": [{"name": "aggregate", "arguments": {"pipeline": [{"$out": "other"}]}}]}
    refusal = refusal_for({}, test)
    assert refusal is not None
    assert refusal.key == "out-merge"
    assert refusal_for({}, {"operations": [{"name": "find", "arguments": {"filter": {}}}]}) is None


def test_refused_tests_count_against_the_pass_rate_and_runon_skips_do_not() -> None:
    from tests.conformance.report import summarise

    records = [
        {"nodeid": "test/test_standin_sessions.py::A::a", "outcome": "passed"},
        {"nodeid": "test/test_standin_sessions.py::A::b", "outcome": "passed"},
        {
            "nodeid": "test/test_standin_sessions.py::A::c",
            "outcome": "skipped",
            "reason": "stand-in refusal x: y",
        },
        {
            "nodeid": "test/test_standin_sessions.py::A::d",
            "outcome": "skipped",
            "reason": "runOnRequirements not satisfied",
        },
        {"nodeid": "test/test_standin_sessions.py::A::e", "outcome": "failed", "reason": "E boom"},
    ]
    table, notes = summarise(records, ["sessions"])
    (row,) = table.rows
    assert (row.passed, row.applicable, row.refused, row.not_applicable) == (2, 4, 1, 1)
    assert row.rate == 50.0
    assert len(notes) == 2
