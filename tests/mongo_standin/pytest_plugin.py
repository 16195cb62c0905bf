"""Test infrastructure: pytest fixtures giving tests a MongoDB (MONGO_URL) or a stand-in process."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pymongo
import pytest
from pymongo.database import Database

from tests.mongo_standin.process import StandinProcess, mongo_url_or_standin

EXTERNAL_SKIP_REASON = (
    "needs a stand-in process it can kill and restart; not possible against an external MONGO_URL"
)


@pytest.fixture(scope="session")
def mongo_url() -> Iterator[str]:
    """A replica-set URL: the real one from MONGO_URL, or a memory-only stand-in started here."""
    with mongo_url_or_standin() as url:
        yield url


@pytest.fixture(scope="session")
def mongo_client(mongo_url: str) -> Iterator[pymongo.MongoClient[dict[str, Any]]]:
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        mongo_url, uuidRepresentation="standard", tz_aware=True, serverSelectionTimeoutMS=5000
    )
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def mongo_db(mongo_client: pymongo.MongoClient[dict[str, Any]]) -> Iterator[Database[dict[str, Any]]]:
    """A database private to one test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex}"
    try:
        yield mongo_client[name]
    finally:
        mongo_client.drop_database(name)


@pytest.fixture
def standin_factory() -> Iterator[Callable[..., StandinProcess]]:
    """Start stand-ins a test may kill and restart; all of them are stopped at teardown."""
    if os.environ.get("MONGO_URL"):
        pytest.skip(EXTERNAL_SKIP_REASON)
    started: list[StandinProcess] = []

    def factory(dbpath: str | None = None, history_size: int | None = None) -> StandinProcess:
        standin = StandinProcess(dbpath=dbpath, history_size=history_size)
        started.append(standin)
        return standin.start()

    try:
        yield factory
    finally:
        for standin in started:
            standin.stop()
