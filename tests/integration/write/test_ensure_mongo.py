"""Integration: `manage.py ensure_mongo` checks the replica set and creates indexes idempotently."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any
from uuid import uuid4

import pytest
from django.core.management import CommandError, call_command
from pymongo.errors import DuplicateKeyError

from accounts_write import contract
from config.mongo import close_mongo_client
from tests.integration.write.helpers import MongoDatabase

F = contract.OutboxField


@pytest.fixture
def app_mongo(settings: Any, mongo_url: str, mongo_db: MongoDatabase) -> Iterator[MongoDatabase]:
    close_mongo_client()
    settings.MONGO_URL = mongo_url
    settings.MONGO_DB = mongo_db.name
    yield mongo_db
    close_mongo_client()


def test_creates_collections_and_indexes_twice_without_error(app_mongo: MongoDatabase) -> None:
    for _ in range(2):
        out = StringIO()
        call_command("ensure_mongo", stdout=out)
        assert "ready" in out.getvalue()
    outbox_indexes = app_mongo[contract.OUTBOX_COLLECTION].index_information()
    assert outbox_indexes["aggregate_version_unique"]["unique"] is True
    assert {"status_next_attempt", "occurred_at"} <= set(outbox_indexes)
    collections = set(app_mongo.list_collection_names())
    assert {contract.ACCOUNTS_COLLECTION, contract.COMMANDS_COLLECTION} <= collections


def test_outbox_refuses_two_events_with_the_same_aggregate_version(app_mongo: MongoDatabase) -> None:
    call_command("ensure_mongo", stdout=StringIO())
    outbox = app_mongo[contract.OUTBOX_COLLECTION]
    aggregate_id = uuid4()
    outbox.insert_one({"_id": uuid4(), F.AGGREGATE_ID: aggregate_id, F.AGGREGATE_VERSION: 1})
    with pytest.raises(DuplicateKeyError):
        outbox.insert_one({"_id": uuid4(), F.AGGREGATE_ID: aggregate_id, F.AGGREGATE_VERSION: 1})


@pytest.mark.slow
def test_unreachable_mongodb_is_a_clear_command_error(settings: Any) -> None:
    close_mongo_client()
    settings.MONGO_URL = "mongodb://127.0.0.1:1/?replicaSet=rs0"
    settings.MONGO_SERVER_SELECTION_TIMEOUT_MS = 300
    try:
        with pytest.raises(CommandError, match="could not be prepared"):
            call_command("ensure_mongo", stdout=StringIO())
    finally:
        close_mongo_client()
