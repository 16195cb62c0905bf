"""Fixtures of the proxy tests: gunicorn on the test databases, with nginx in front of it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pymongo.database import Database

from accounts_write.adapters.indexes import ensure_collections_and_indexes
from tests.e2e.proxy.servers import Server, gunicorn, nginx
from tests.faults.conftest import database_url

METRICS_TOKEN = "metrics-token-for-the-proxy-tests-0123456789"


@pytest.fixture
def app_env(transactional_db: None, settings: Any, mongo_url: str, mongo_db: Database[Any]) -> dict[str, str]:
    ensure_collections_and_indexes(mongo_db)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(settings),
        "MONGO_URL": mongo_url,
        "MONGO_DB": mongo_db.name,
        "METRICS_TOKEN": METRICS_TOKEN,
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def start_gunicorn(app_env: dict[str, str]) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def start(workers: int = 2, threads: int = 4) -> Server:
        server = gunicorn(app_env, workers=workers, threads=threads).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def start_nginx() -> Iterator[Callable[[int], Server]]:
    started: list[Server] = []

    def start(upstream_port: int) -> Server:
        server = nginx(upstream_port).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
