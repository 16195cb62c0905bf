"""Adapters: read-only queries of the write database — accounts and outbox entries as MongoDB holds them.

For the demo page's write pane, which shows the write side as it is (the read side shows its own
copy): newest accounts first, latest outbox entries first, delivery status as stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pymongo import DESCENDING
from pymongo.database import Database

from accounts_write import contract
from accounts_write.adapters.mongo_uow import from_decimal128

F = contract.OutboxField


@dataclass(frozen=True)
class AccountRow:
    account_id: UUID
    owner: str
    currency: str
    balance: Decimal
    status: str
    version: int
    opened_at: datetime


@dataclass(frozen=True)
class OutboxRow:
    """One outbox entry; ``status`` is whatever delivery status the document carries."""

    event_id: UUID
    aggregate_id: UUID
    version: int
    event_type: str
    status: str
    attempts: int
    last_error: str | None
    occurred_at: datetime
    projected_at: datetime | None


def recent_accounts(database: Database[dict[str, Any]], limit: int) -> tuple[list[AccountRow], int]:
    """The ``limit`` most recently opened accounts, newest first, and about how many there are.

    The total comes from the collection's metadata (no scan): the page asks twice a second.
    """
    collection = database[contract.ACCOUNTS_COLLECTION]
    documents = collection.find({}, sort=[("opened_at", DESCENDING), ("_id", DESCENDING)], limit=limit)
    rows = [
        AccountRow(
            account_id=document["_id"],
            owner=document["owner"],
            currency=document["currency"],
            balance=from_decimal128(document["balance"]),
            status=document["status"],
            version=document["version"],
            opened_at=document["opened_at"],
        )
        for document in documents
    ]
    return rows, collection.estimated_document_count()


def latest_outbox_entries(database: Database[dict[str, Any]], limit: int) -> list[OutboxRow]:
    """The ``limit`` most recent outbox entries, newest first."""
    documents = database[contract.OUTBOX_COLLECTION].find(
        {}, sort=[(F.OCCURRED_AT, DESCENDING), (F.AGGREGATE_VERSION, DESCENDING)], limit=limit
    )
    return [
        OutboxRow(
            event_id=document[F.EVENT_ID],
            aggregate_id=document[F.AGGREGATE_ID],
            version=document[F.AGGREGATE_VERSION],
            event_type=document[F.EVENT_TYPE],
            status=str(document.get(F.STATUS, "")),
            attempts=int(document.get(F.ATTEMPTS) or 0),
            last_error=document.get(F.LAST_ERROR),
            occurred_at=document[F.OCCURRED_AT],
            projected_at=document.get(F.PROJECTED_AT),
        )
        for document in documents
    ]
