"""Fixtures of the fault tests: projector subprocesses on the test databases, a real write side."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pymongo.database import Database

from accounts_write import bootstrap
from accounts_write.adapters.indexes import ensure_collections_and_indexes
from tests.faults.processes import ProjectorProcess
from tests.faults.tcp_proxy import TcpProxy

SpawnProjector = Callable[..., ProjectorProcess]


@pytest.fixture
def write_side(mongo_db: Database[Any]) -> Iterator[Database[Any]]:
    ensure_collections_and_indexes(mongo_db)
    with bootstrap.override_bus(bootstrap.build_bus(database=mongo_db)):
        yield mongo_db


def database_url(settings: Any, port: int | None = None) -> str:
    """The URL of the pytest-django test database, so a child process sees the same tables."""
    db = settings.DATABASES["default"]
    host = db.get("HOST") or "127.0.0.1"
    password = db.get("PASSWORD") or ""
    return f"mysql://{db['USER']}:{password}@{host}:{port or db.get('PORT') or 3306}/{db['NAME']}"


@pytest.fixture
def spawn_projector(settings: Any, mongo_url: str, mongo_db: Database[Any]) -> Iterator[SpawnProjector]:
    started: list[ProjectorProcess] = []

    def spawn(owner: str, *, mysql_port: int | None = None, mongo: str | None = None,
              **extra_env: str) -> ProjectorProcess:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(settings, mysql_port),
            "MONGO_URL": mongo or mongo_url,
            "MONGO_DB": mongo_db.name,
            "LOG_LEVEL": "INFO",
            "PROJECTOR_LEASE_SECONDS": "2",
            "PROJECTOR_STANDBY_POLL_SECONDS": "0.2",
            "PROJECTOR_RECONNECT_MAX_SECONDS": "1",
            "PROJECTOR_RETRY_INTERVAL_SECONDS": "1",
            "PROJECTOR_RETRY_BACKOFF_BASE_SECONDS": "0.5",
            "PROJECTOR_RETRY_BACKOFF_MAX_SECONDS": "2",
            **extra_env,
        }
        process = ProjectorProcess(owner, env).start()
        started.append(process)
        return process

    try:
        yield spawn
    finally:
        for process in started:
            process.cleanup()


@pytest.fixture
def mysql_proxy(settings: Any) -> Iterator[TcpProxy]:
    """A cuttable, freezable link to the test database."""
    db = settings.DATABASES["default"]
    proxy = TcpProxy(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 3306))
    yield proxy
    proxy.close()
