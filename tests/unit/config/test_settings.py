"""Unit tests: environment parsing and the production settings' refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings.base import env_bool, env_int, env_list, read_database

ROOT = Path(__file__).resolve().parents[3]


def test_env_bool_accepts_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("1", True), ("TRUE", True), ("on", True), ("0", False), ("no", False)]:
        monkeypatch.setenv("FLAG", raw)
        assert env_bool("FLAG", not expected) is expected


def test_env_bool_rejects_nonsense_with_the_variable_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ValueError, match="FLAG"):
        env_bool("FLAG", False)


def test_env_int_uses_default_when_unset_and_rejects_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COUNT", raising=False)
    assert env_int("COUNT", 7) == 7
    monkeypatch.setenv("COUNT", "12x")
    with pytest.raises(ValueError, match="COUNT must be an integer"):
        env_int("COUNT", 7)


def test_env_list_splits_and_strips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", " a.example , b.example,, ")
    assert env_list("HOSTS", "") == ["a.example", "b.example"]


def test_mysql_url_becomes_utf8mb4_read_committed_database() -> None:
    config = read_database("mysql://reader:secret@db.internal:3307/reads")
    assert config["ENGINE"] == "django.db.backends.mysql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 3307, "reads")
    assert config["OPTIONS"]["charset"] == "utf8mb4"
    assert config["OPTIONS"]["isolation_level"] == "read committed"
    assert config["OPTIONS"]["read_timeout"] > 0


def _import_production(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DEMO_"))
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings.production"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _import_production({})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_with_debug_on() -> None:
    result = _import_production({"DJANGO_SECRET_KEY": "s3cret", "DJANGO_DEBUG": "true"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off in production" in result.stderr


def test_production_starts_with_a_secret_key_and_debug_off() -> None:
    result = _import_production({"DJANGO_SECRET_KEY": "s3cret"})
    assert result.returncode == 0, result.stderr


def test_production_refuses_the_demo_fault_buttons() -> None:
    result = _import_production({"DJANGO_SECRET_KEY": "s3cret", "DEMO_FAULTS": "true"})
    assert result.returncode != 0
    assert "DEMO_FAULTS must be off in production" in result.stderr
