"""Adapters: create the write database's collections and indexes (idempotent; run at start-up)."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.database import Database
from pymongo.errors import CollectionInvalid, OperationFailure

from accounts_write import contract

F = contract.OutboxField
NAMESPACE_EXISTS = 48

INDEXES: dict[str, list[IndexModel]] = {
    contract.OUTBOX_COLLECTION: [
        IndexModel(
            [(F.AGGREGATE_ID, ASCENDING), (F.AGGREGATE_VERSION, ASCENDING)],
            name="aggregate_version_unique",
            unique=True,
        ),
        IndexModel([(F.STATUS, ASCENDING), (F.NEXT_ATTEMPT_AT, ASCENDING)], name="status_next_attempt"),
        IndexModel([(F.OCCURRED_AT, ASCENDING)], name="occurred_at"),
    ],
    contract.ACCOUNTS_COLLECTION: [
        IndexModel([("updated_at", ASCENDING)], name="updated_at"),
        # The demo page lists the newest accounts first.
        IndexModel([("opened_at", DESCENDING), ("_id", DESCENDING)], name="opened_at_newest_first"),
    ],
    contract.COMMANDS_COLLECTION: [
        IndexModel([(contract.CommandRecordField.RECORDED_AT, ASCENDING)], name="recorded_at"),
    ],
}


def ensure_collections_and_indexes(database: Database[dict[str, Any]]) -> list[str]:
    """Create the collections (transactions should not have to) and indexes; returns index names."""
    existing = set(database.list_collection_names())
    created: list[str] = []
    for name, indexes in INDEXES.items():
        if name not in existing:
            _create_collection(database, name)
        created.extend(database[name].create_indexes(indexes))
    return created


def _create_collection(database: Database[dict[str, Any]], name: str) -> None:
    try:
        database.create_collection(name)
    except CollectionInvalid:
        pass  # created meanwhile by another process starting up
    except OperationFailure as exc:
        if exc.code != NAMESPACE_EXISTS:
            raise
