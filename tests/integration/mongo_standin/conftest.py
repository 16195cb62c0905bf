"""Integration tests: shared fixtures for the MongoDB contract suite (stand-in or real replica set)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database

ConfigureFailPoint = Callable[..., None]
ClientFactory = Callable[..., MongoClient]


@pytest.fixture
def make_client(mongo_url: str) -> Iterator[ClientFactory]:
    """Builds extra clients (own pool, own sessions, own options) and closes them after the test.

    A dedicated client keeps explicit lsid/txnNumber experiments and listeners away from the
    shared session-scoped client and its session pool.
    """
    clients: list[MongoClient] = []

    def make(**options: Any) -> MongoClient:
        settings: dict[str, Any] = {
            "uuidRepresentation": "standard",
            "tz_aware": True,
            "serverSelectionTimeoutMS": 5000,
        }
        settings.update(options)
        client: MongoClient = MongoClient(mongo_url, **settings)
        clients.append(client)
        return client

    try:
        yield make
    finally:
        for client in clients:
            client.close()


@pytest.fixture
def fail_point(mongo_client: MongoClient) -> Iterator[ConfigureFailPoint]:
    """Configures the server's `failCommand` fail point; always switches it off after the test."""
    used = False

    def configure(mode: str | Mapping[str, int], data: Mapping[str, Any] | None = None) -> None:
        nonlocal used
        used = True
        command: dict[str, Any] = {"mode": mode}
        if data is not None:
            command["data"] = dict(data)
        mongo_client.admin.command("configureFailPoint", "failCommand", **command)

    try:
        yield configure
    finally:
        if used:
            mongo_client.admin.command("configureFailPoint", "failCommand", mode="off")


@pytest.fixture
def coll(mongo_db: Database) -> Collection:
    """An empty collection in the test's own database."""
    return mongo_db["items"]
