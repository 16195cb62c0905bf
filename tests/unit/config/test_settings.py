"""Unit tests: environment parsing (django-environ, strict) and the production settings' refusals."""

from __future__ import annotations

import os
import subprocess

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings.base import env, read_database
from tests.scripts import run_python


def test_booleans_accept_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("1", True), ("TRUE", True), (" on ", True), ("0", False), ("no", False)]:
        monkeypatch.setenv("FLAG", raw)
        assert env.bool("FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "ok", "y"])
def test_booleans_refuse_anything_else_naming_the_variable(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match=f"FLAG must be a boolean \\(true/false\\), got '{raw}'"):
        env.bool("FLAG", False)


def test_integers_default_when_unset_or_empty_and_refuse_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COUNT", raising=False)
    assert env.int("COUNT", 7) == 7
    monkeypatch.setenv("COUNT", "")
    assert env.int("COUNT", 7) == 7
    monkeypatch.setenv("COUNT", "12")
    assert env.int("COUNT", 7) == 12
    for garbage in ("12x", "1.5"):
        monkeypatch.setenv("COUNT", garbage)
        with pytest.raises(ImproperlyConfigured, match="COUNT must be an integer"):
            env.int("COUNT", 7)


def test_numbers_parse_as_python_floats_and_refuse_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECONDS", "1e3")
    assert env.float("SECONDS", 1.0) == 1000.0
    monkeypatch.setenv("SECONDS", "")
    assert env.float("SECONDS", 2.5) == 2.5
    for garbage in ("5x", "1,5"):
        monkeypatch.setenv("SECONDS", garbage)
        with pytest.raises(ImproperlyConfigured, match="SECONDS must be a number"):
            env.float("SECONDS", 1.0)


def test_strings_are_taken_literally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET", "$HOME-is-not-expanded")
    assert env.str("SECRET", "") == "$HOME-is-not-expanded"
    monkeypatch.setenv("SECRET", "")
    assert env.str("SECRET", "fallback") == ""
    monkeypatch.delenv("SECRET")
    assert env.str("SECRET", "fallback") == "fallback"


def test_lists_split_and_strip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", " a.example , b.example,, ")
    assert env.list("HOSTS", default=["x"]) == ["a.example", "b.example"]
    monkeypatch.setenv("HOSTS", "")
    assert env.list("HOSTS", default=["x"]) == []


def test_a_variable_without_a_default_must_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="Set the REQUIRED environment variable"):
        env.str("REQUIRED")


def test_a_bad_value_stops_the_settings_from_loading_naming_the_variable() -> None:
    result = run_python(
        ["-c", "import config.settings.test"],
        env={**os.environ, "PROJECTOR_BATCH_SIZE": "lots"},
        timeout=120,
    )
    assert result.returncode != 0
    assert "environment variable PROJECTOR_BATCH_SIZE must be an integer, got 'lots'" in result.stderr


def test_mysql_url_becomes_utf8mb4_read_committed_database() -> None:
    config = read_database("mysql://reader:s%40cret@db.internal:3307/reads")
    assert config["ENGINE"] == "django.db.backends.mysql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 3307, "reads")
    assert (config["USER"], config["PASSWORD"]) == ("reader", "s@cret")
    assert (config["CONN_MAX_AGE"], config["CONN_HEALTH_CHECKS"]) == (60, True)
    assert config["OPTIONS"]["charset"] == "utf8mb4"
    assert config["OPTIONS"]["isolation_level"] == "read committed"
    assert config["OPTIONS"]["read_timeout"] > 0


def test_an_unreachable_mongodb_is_given_up_on_after_two_seconds_by_default() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MONGO_")}
    code = (
        "from config.settings import base; "
        "print(base.MONGO_SERVER_SELECTION_TIMEOUT_MS, base.MONGO_CONNECT_TIMEOUT_MS)"
    )
    result = run_python(["-c", code], env=env, timeout=120)
    assert result.stdout.split() == ["2000", "2000"], result.stderr


STRONG = "k3Jx9vQ2mP7wZr4tLb8nYc6dHf1sGa5eUo0iXq2VzR7yTj4Wp8Nc3Lq5Bv"
VALID_PRODUCTION = {
    "DJANGO_SECRET_KEY": STRONG,
    "METRICS_TOKEN": "m" + STRONG[:40],
    "DATABASE_URL": "mysql://cqrs:Xq7-long-random-password@mysql:3306/cqrs_read",
}


def _run_production(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DEMO_", "METRICS_")) and key not in ("DATABASE_URL", "MONGO_URL")
    }
    clean.update(env)
    return run_python(["-c", code], env=clean, timeout=120)


def _import_production(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _run_production("import config.settings.production", env)


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _import_production({**VALID_PRODUCTION, "DJANGO_SECRET_KEY": ""})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


@pytest.mark.parametrize(
    "secret",
    ["change-me", "change-me-in-.env", "dev-only-insecure-key-do-not-use-in-production", "s3cret", "a" * 60],
)
def test_production_refuses_a_placeholder_or_weak_secret_key(secret: str) -> None:
    result = _import_production({**VALID_PRODUCTION, "DJANGO_SECRET_KEY": secret})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is a placeholder or too weak" in result.stderr


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("DATABASE_URL", "mysql://cqrs:cqrs@mysql:3306/cqrs_read"),
        ("DATABASE_URL", "mysql://root:root@mysql:3306/cqrs_read"),
        ("DATABASE_URL", "mysql://cqrs:change-me@mysql:3306/cqrs_read"),
        ("MONGO_URL", "mongodb://admin:password@mongo:27017/?replicaSet=rs0"),
    ],
)
def test_production_refuses_default_passwords(name: str, url: str) -> None:
    result = _import_production({**VALID_PRODUCTION, name: url})
    assert result.returncode != 0
    assert f"{name} uses a default password" in result.stderr


def test_production_refuses_a_read_database_without_a_password() -> None:
    result = _import_production({**VALID_PRODUCTION, "DATABASE_URL": "mysql://root:@mysql:3306/cqrs_read"})
    assert result.returncode != 0
    assert "DATABASE_URL has no password" in result.stderr


def test_production_refuses_to_start_without_a_metrics_token() -> None:
    result = _import_production({**VALID_PRODUCTION, "METRICS_TOKEN": ""})
    assert result.returncode != 0
    assert "METRICS_TOKEN must be set in production" in result.stderr


def test_production_refuses_to_start_with_debug_on() -> None:
    result = _import_production({**VALID_PRODUCTION, "DJANGO_DEBUG": "true"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off in production" in result.stderr


def test_production_starts_with_real_secrets_and_debug_off() -> None:
    result = _import_production(VALID_PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_production_refuses_the_demo_fault_buttons() -> None:
    result = _import_production({**VALID_PRODUCTION, "DEMO_FAULTS": "true"})
    assert result.returncode != 0
    assert "DEMO_FAULTS must be off in production" in result.stderr


@pytest.mark.slow
def test_check_deploy_is_clean_under_production_settings() -> None:
    env = {**VALID_PRODUCTION, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEMO_"))}, **env},
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("entry", ["manage.py", "config.wsgi", "config.celery"])
def test_no_process_falls_back_to_some_settings_when_none_are_named(entry: str) -> None:
    code = {
        "manage.py": "import runpy, sys; sys.argv = ['manage.py', 'check']; "
        "runpy.run_path('manage.py', run_name='__main__')",
        "config.wsgi": "import config.wsgi",
        "config.celery": "import config.celery",
    }[entry]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = run_python(["-c", code], env=env, timeout=120)
    assert result.returncode != 0
    assert "DJANGO_SETTINGS_MODULE is not set" in result.stderr
    assert "config.settings.local" in result.stderr
