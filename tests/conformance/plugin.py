"""Conformance: a pytest plugin recording each unified test's outcome (and skip reason) as JSON lines."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.conformance.refusals import refusal_for
from tests.conformance.report import REFUSAL_PREFIX

RESULTS_ENV = "STANDIN_CONFORMANCE_RESULTS"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    """Skip a test that exercises a declared refusal, naming it (it still counts as not passed).

    Only a test that would run here is skipped so: one its own runOnRequirements exclude stays
    not applicable, as pymongo's runner would have it.
    """
    yield
    file_spec = getattr(getattr(item, "cls", None), "TEST_SPEC", {})
    scenario = _scenario(item)
    refusal = refusal_for(file_spec, scenario) if scenario else None
    if refusal is None or scenario is None:
        return
    if _runs_here(file_spec.get("runOnRequirements", [])) and _runs_here(
        scenario.get("runOnRequirements", [])
    ):
        pytest.skip(f"{REFUSAL_PREFIX}{refusal.key}: {refusal.feature}")


def _runs_here(requirements: list[dict[str, Any]]) -> bool:
    from test.unified_format import is_run_on_requirement_satisfied  # pymongo's runner, on sys.path

    return not requirements or any(is_run_on_requirement_satisfied(r) for r in requirements)


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


def _reason(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    if report.failed:
        text = str(report.longrepr)
        lines = [line for line in text.splitlines() if line.startswith("E ")]
        return (lines[-1] if lines else text.splitlines()[-1] if text else "")[:400]
    return ""
