"""Conformance: a pytest plugin recording each unified test's outcome (and skip reason) as JSON lines."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.conformance.refusals import refusal_for
from tests.conformance.report import REFUSAL_PREFIX

RESULTS_ENV = "STANDIN_CONFORMANCE_RESULTS"


def _scenario(item: pytest.Item) -> dict[str, Any] | None:
    file_spec = getattr(getattr(item, "cls", None), "TEST_SPEC", None)
    if not file_spec:
        return None
    name = item.name
    for test in file_spec.get("tests", []):
        generated = "test_{}".format(test["description"].strip(". ").replace(" ", "_").replace(".", "_"))
        if generated == name:
            return dict(test)
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        _as_refusal(item, report)
    if report.when == "call" or (report.when == "setup" and not report.passed):
        outcome = report.outcome
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
        record = {
            "nodeid": item.nodeid,
            "outcome": outcome,
            "reason": _reason(report),
            "duration": round(report.duration, 3),
        }
        with open(os.environ[RESULTS_ENV], "a") as out:
            out.write(json.dumps(record) + "\n")


def _as_refusal(item: pytest.Item, report: pytest.TestReport) -> None:
    """A test that failed on a declared refusal (its error says so) is reported skipped, naming it.

    It still counts as applicable and not passed; a failure with any other cause stays a failure.
    """
    file_spec = getattr(getattr(item, "cls", None), "TEST_SPEC", {})
    scenario = _scenario(item)
    refusal = refusal_for(file_spec, scenario) if scenario else None
    if refusal is None or not refusal.caused(str(report.longrepr)):
        return
    report.outcome = "skipped"
    report.longrepr = (str(item.path), 0, f"Skipped: {REFUSAL_PREFIX}{refusal.key}: {refusal.feature}")


def _reason(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    if report.failed:
        text = str(report.longrepr)
        lines = [line for line in text.splitlines() if line.startswith("E ")]
        return (lines[-1] if lines else text.splitlines()[-1] if text else "")[:400]
    return ""
