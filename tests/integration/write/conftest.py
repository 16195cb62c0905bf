"""Integration fixtures: the write side's collections in the test's own MongoDB database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from accounts_write.adapters.indexes import ensure_collections_and_indexes
from accounts_write.application.bus import CommandBus
from accounts_write.bootstrap import build_bus
from tests.integration.write.helpers import FAILPOINT_APP

MongoDatabase = Database[dict[str, Any]]


@pytest.fixture
def write_db(mongo_db: MongoDatabase) -> MongoDatabase:
    ensure_collections_and_indexes(mongo_db)
    return mongo_db


@pytest.fixture
def bus(write_db: MongoDatabase) -> CommandBus:
    return build_bus(database=write_db)


@pytest.fixture
def failpoint_client(mongo_url: str) -> Iterator[MongoClient[dict[str, Any]]]:
    """A client with its own appName, so a fail point scoped to it hits no other test's commands."""
    client: MongoClient[dict[str, Any]] = MongoClient(
        mongo_url, uuidRepresentation="standard", tz_aware=True, appname=FAILPOINT_APP,
        serverSelectionTimeoutMS=5000,
    )
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def failpoint_bus(failpoint_client: MongoClient[dict[str, Any]], write_db: MongoDatabase) -> CommandBus:
    """A bus whose commands go through ``failpoint_client``."""
    return build_bus(database=failpoint_client[write_db.name])

