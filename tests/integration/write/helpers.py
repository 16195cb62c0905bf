"""Integration helpers: open accounts, read the write database back, drive the failCommand fail point."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from pymongo import MongoClient
from pymongo.database import Database

from accounts_write import contract
from accounts_write.adapters import mongo_uow
from accounts_write.application.bus import CommandBus
from accounts_write.application.results import AccountCommandResult
from accounts_write.domain.commands import OpenAccount
from accounts_write.domain.model import BankAccount

MongoDatabase = Database[dict[str, Any]]
FAILPOINT_APP = "write-side-failpoint-test"
BAD_VALUE = 2


def open_account(bus: CommandBus, initial: str | None = None, currency: str = "EUR") -> UUID:
    deposit = Decimal(initial) if initial is not None else None
    command = OpenAccount(owner="Ada", currency=currency, initial_deposit=deposit)
    result = bus.handle(command, f"open-{uuid4()}")
    assert isinstance(result, AccountCommandResult)
    return result.account_id


def stored_account(db: MongoDatabase, account_id: UUID) -> BankAccount:
    document = db[contract.ACCOUNTS_COLLECTION].find_one({"_id": account_id})
    assert document is not None, f"account {account_id} is not stored"
    return mongo_uow.account_from_document(document)


def outbox_of(db: MongoDatabase, account_id: UUID) -> list[dict[str, Any]]:
    field = contract.OutboxField
    query = {field.AGGREGATE_ID: account_id}
    return list(db[contract.OUTBOX_COLLECTION].find(query).sort(field.AGGREGATE_VERSION, 1))


@contextmanager
def fail_point(
    client: MongoClient[dict[str, Any]], mode: str | Mapping[str, int], data: Mapping[str, Any]
) -> Iterator[None]:
    """Arm ``failCommand`` for commands from FAILPOINT_APP only; always switched off afterwards."""
    client.admin.command(
        "configureFailPoint", "failCommand", mode=mode, data={**data, "appName": FAILPOINT_APP}
    )
    try:
        yield
    finally:
        client.admin.command("configureFailPoint", "failCommand", mode="off")
