"""The pre-commit hooks run the checks of ``make lint`` with the pinned ruff: they cannot drift apart."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import yaml

from tests.scripts import REPO_ROOT, run_python

RUFF_HOOKS = "https://github.com/astral-sh/ruff-pre-commit"


def pinned(package: str) -> str:
    for line in (REPO_ROOT / "requirements-dev.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower() == package:
            return version.strip()
    raise AssertionError(f"{package} is not pinned in requirements-dev.txt")


def make_lint_format_folders() -> list[str]:
    match = re.search(r"ruff format --check (.+)", (REPO_ROOT / "Makefile").read_text())
    assert match, "make lint no longer runs ruff format --check"
    return match.group(1).split()


@pytest.fixture(scope="module")
def ruff_repo() -> dict[str, Any]:
    config = yaml.safe_load((REPO_ROOT / ".pre-commit-config.yaml").read_text())
    repos = [repo for repo in config["repos"] if repo["repo"] == RUFF_HOOKS]
    assert len(repos) == 1, config
    return repos[0]


def hook(repo: dict[str, Any], hook_id: str) -> dict[str, Any]:
    hooks = {entry["id"]: entry for entry in repo["hooks"]}
    assert hook_id in hooks, f"no {hook_id} hook: {sorted(hooks)}"
    return hooks[hook_id]


def test_pre_commit_accepts_the_config() -> None:
    result = run_python(
        ["-m", "pre_commit", "validate-config", ".pre-commit-config.yaml"], env=dict(os.environ), timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_hooks_run_the_ruff_pinned_for_development(ruff_repo: dict[str, Any]) -> None:
    assert ruff_repo["rev"] == f"v{pinned('ruff')}"


def test_the_lint_hook_checks_every_file_as_make_lint_does(ruff_repo: dict[str, Any]) -> None:
    lint = hook(ruff_repo, "ruff-check")
    assert "files" not in lint and "exclude" not in lint
    assert "--fix" not in lint.get("args", [])


def test_the_format_hook_checks_the_folders_make_lint_checks(ruff_repo: dict[str, Any]) -> None:
    fmt = hook(ruff_repo, "ruff-format")
    assert fmt.get("args") == ["--check"], "the hook must report, not rewrite files"
    covered = re.compile(fmt["files"])
    for folder in make_lint_format_folders():
        assert covered.search(f"{folder}/module.py"), folder
    for outside in ("tests/unit/test_x.py", "bench/run_all.py", "manage.py", "configuration/x.py"):
        assert not covered.search(outside), outside
