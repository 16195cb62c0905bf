"""Unit tests: compose file, Dockerfile, .env.example and CI workflow stay consistent with settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
APP_SERVICES = ("web", "projector", "worker", "beat")
INFRA_SERVICES = ("mongo", "mysql", "redis")
PROXY = "nginx"
NGINX_TEMPLATE = "config/nginx/cqrs.conf.template"
SECRETS = ("DJANGO_SECRET_KEY", "METRICS_TOKEN", "MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD")
REQUIRED_APP_ENV = {"MONGO_URL", "MONGO_DB", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
# Read by Django itself, or by docker compose rather than by our settings.
NOT_FROM_SETTINGS = {"DJANGO_SETTINGS_MODULE", "MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD", "FORWARDED_ALLOW_IPS"}


def settings_env_names() -> set[str]:
    """Every environment variable the settings modules read."""
    pattern = re.compile(r"""(?:env\.\w+|os\.environ\.get|getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']""")
    names: set[str] = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        names.update(pattern.findall(path.read_text()))
    return names


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_every_service_of_the_stack(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == set(INFRA_SERVICES) | set(APP_SERVICES) | {PROXY}


def test_mongo_is_a_version_7_replica_set_initiated_by_its_healthcheck(compose: dict[str, Any]) -> None:
    mongo = compose["services"]["mongo"]
    assert mongo["image"].startswith("mongo:7")
    command = mongo["command"]
    assert command[command.index("--replSet") + 1] == "rs0"
    check = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate" in check
    assert "isWritablePrimary" in check


def test_mysql_is_8_4_and_every_infra_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    assert compose["services"]["mysql"]["image"] == "mysql:8.4"
    for name in INFRA_SERVICES:
        assert compose["services"][name]["healthcheck"]["test"], name


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_wait_for_healthy_databases_and_broker(compose: dict[str, Any], service: str) -> None:
    depends_on = compose["services"][service]["depends_on"]
    for infra in INFRA_SERVICES:
        assert depends_on[infra]["condition"] == "service_healthy", (service, infra)


@pytest.mark.parametrize("service", ["projector", "worker", "beat"])
def test_background_processes_start_after_web_has_migrated(compose: dict[str, Any], service: str) -> None:
    assert compose["services"][service]["depends_on"]["web"]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_environment_matches_what_settings_read(compose: dict[str, Any], service: str) -> None:
    env = set(compose["services"][service]["environment"])
    assert env >= REQUIRED_APP_ENV
    unknown = env - settings_env_names() - NOT_FROM_SETTINGS
    assert not unknown, f"{service} sets variables no setting reads: {sorted(unknown)}"


def test_app_urls_point_at_the_compose_services(compose: dict[str, Any]) -> None:
    env = compose["services"]["web"]["environment"]
    mongo = urlparse(env["MONGO_URL"])
    assert mongo.hostname == "mongo" and "replicaSet=rs0" in mongo.query
    mysql_env = compose["services"]["mysql"]["environment"]
    database = urlparse(re.sub(r"\$\{MYSQL_PASSWORD:\?[^}]*\}", "secret", env["DATABASE_URL"]))
    assert (database.hostname, database.username) == ("mysql", mysql_env["MYSQL_USER"])
    assert database.path.lstrip("/") == mysql_env["MYSQL_DATABASE"]
    assert urlparse(env["REDIS_URL"]).hostname == "redis"


def test_web_migrates_creates_indexes_and_serves_gunicorn_inside_the_network(compose: dict[str, Any]) -> None:
    web = compose["services"]["web"]
    command = " ".join(web["command"])
    assert "migrate" in command and "ensure_mongo" in command
    assert "gunicorn -c config/gunicorn.py config.wsgi:application" in command
    assert "ports" not in web, "gunicorn is reached through nginx only"
    assert web["expose"] == ["8000"]
    assert "/healthz" in " ".join(web["healthcheck"]["test"])


def test_nginx_is_the_only_published_service_on_the_loopback_address(compose: dict[str, Any]) -> None:
    published = {name for name, service in compose["services"].items() if service.get("ports")}
    assert published == {PROXY}
    (port,) = compose["services"][PROXY]["ports"]
    assert port == "${PUBLISH_ADDRESS:-127.0.0.1}:8000:8080"


def test_nginx_mounts_the_template_the_tests_run_and_proxies_to_web(compose: dict[str, Any]) -> None:
    nginx = compose["services"][PROXY]
    assert f"./{NGINX_TEMPLATE}:/etc/nginx/templates/cqrs.conf.template:ro" in nginx["volumes"]
    assert nginx["environment"] == {"CQRS_UPSTREAM": "web:8000", "CQRS_LISTEN": "8080"}
    assert nginx["depends_on"]["web"]["condition"] == "service_healthy"
    placeholders = set(re.findall(r"\$\{(CQRS_[A-Z_]+)\}", (ROOT / NGINX_TEMPLATE).read_text()))
    assert placeholders == set(nginx["environment"])


def test_nginx_buffers_bodies_and_limits_times_and_sizes() -> None:
    template = (ROOT / NGINX_TEMPLATE).read_text()
    for directive in (
        "proxy_request_buffering on",
        "client_body_timeout",
        "client_header_timeout",
        "client_max_body_size",
        "proxy_set_header X-Forwarded-For $remote_addr",
    ):
        assert directive in template, directive


def test_secrets_come_from_env_with_no_usable_defaults() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for name in SECRETS:
        assert re.search(rf"\$\{{{name}:\?", text), f"{name} must be required (${{{name}:?...}})"
        assert not re.search(rf"\$\{{{name}:?-", text), f"{name} must have no default"
    assert "change-me-in-.env" not in text


def test_compose_commands_name_existing_management_commands(compose: dict[str, Any]) -> None:
    commands = {path.stem for path in ROOT.glob("*/management/commands/*.py") if path.stem != "__init__"}
    for service in APP_SERVICES:
        words = compose["services"][service]["command"]
        text = " ".join(words) if isinstance(words, list) else words
        for name in re.findall(r"manage\.py (\w+)", text):
            if name not in {"migrate", "collectstatic"}:
                assert name in commands, f"{service} runs unknown command {name}"


def test_env_example_names_only_variables_something_reads() -> None:
    names = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert REQUIRED_APP_ENV - {"DJANGO_SETTINGS_MODULE"} <= names
    assert not names - settings_env_names() - NOT_FROM_SETTINGS


def test_dockerfile_builds_python_3_11_with_pinned_requirements() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, re.MULTILINE)
    assert "pip install -r requirements.txt" in dockerfile
    # Static files are collected with the production storage, whose manifest whitenoise serves.
    build = dockerfile[dockerfile.index("DJANGO_SETTINGS_MODULE=config.settings.production") :]
    assert "collectstatic" in build.split("useradd")[0]
    # ... with throwaway secrets made at build time, not a placeholder that production refuses.
    assert "secrets.token_urlsafe" in build and "build-only" not in dockerfile
    assert "gunicorn -c config/gunicorn.py config.wsgi:application" in dockerfile


def test_github_workflow_runs_make_test_against_real_services() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    job = workflow["jobs"]["test"]
    assert {"mysql", "redis"} <= set(job["services"])
    assert "replicaSet=rs0" in job["env"]["MONGO_URL"]
    steps = " ".join(step.get("run", "") for step in job["steps"])
    assert "mongo:7" in steps and "--replSet rs0" in steps
    assert "make test" in steps


def test_ci_entry_point_calls_make_test() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
