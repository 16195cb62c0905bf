"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pymongo.database import Database

from accounts_write import bootstrap
from accounts_write.adapters.indexes import ensure_collections_and_indexes
from config.mongo import close_mongo_client


@pytest.fixture
def write_db(settings: Any, mongo_url: str, mongo_db: Database[Any]) -> Iterator[Database[Any]]:
    """The site's write side (its MongoDB client and its command bus) on the test's own database."""
    settings.MONGO_URL, settings.MONGO_DB = mongo_url, mongo_db.name
    close_mongo_client()
    ensure_collections_and_indexes(mongo_db)
    with bootstrap.override_bus(bootstrap.build_bus(database=mongo_db)):
        yield mongo_db
    close_mongo_client()


@pytest.fixture
def mongo_down(settings: Any) -> Iterator[None]:
    """The site's MongoDB is a port where nothing listens; a server selection gives up in 0.3 s."""
    close_mongo_client()
    settings.MONGO_URL = "mongodb://127.0.0.1:9/?replicaSet=rs0"
    settings.MONGO_SERVER_SELECTION_TIMEOUT_MS = 300
    yield
    close_mongo_client()
