"""Integration: commands persist account, outbox and command record in MongoDB per the contract."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from bson.decimal128 import Decimal128

from accounts_write import contract
from accounts_write.application.bus import CommandBus
from accounts_write.application.errors import AccountNotFoundError
from accounts_write.application.results import AccountCommandResult, TransferResult
from accounts_write.domain.commands import (
    CloseAccount,
    DepositFunds,
    OpenAccount,
    TransferFunds,
    WithdrawFunds,
)
from accounts_write.domain.errors import InsufficientFundsError
from accounts_write.domain.model import BankAccount
from tests.factories.domain_events import domain_event
from tests.integration.write.helpers import MongoDatabase, open_account, outbox_of, stored_account

F = contract.OutboxField


def test_open_account_writes_the_account_document(bus: CommandBus, write_db: MongoDatabase) -> None:
    account_id = open_account(bus, "12.50")
    document = write_db[contract.ACCOUNTS_COLLECTION].find_one({"_id": account_id})
    assert document is not None
    assert document["balance"] == Decimal128("12.50")
    assert (document["owner"], document["currency"], document["status"], document["version"]) == (
        "Ada", "EUR", "open", 2,
    )
    assert document["closed_at"] is None and document["opened_at"].tzinfo is not None


def test_outbox_documents_follow_the_contract(bus: CommandBus, write_db: MongoDatabase) -> None:
    result = bus.handle(
        OpenAccount(owner="Ada", initial_deposit=Decimal("3.00")), "open-contract"
    )
    assert isinstance(result, AccountCommandResult)
    opened, deposited = outbox_of(write_db, result.account_id)
    assert [opened[F.EVENT_ID], deposited[F.EVENT_ID]] == list(result.event_ids)
    assert isinstance(opened[F.EVENT_ID], UUID) and isinstance(opened[F.AGGREGATE_ID], UUID)
    assert (opened[F.EVENT_TYPE], opened[F.AGGREGATE_VERSION], opened[F.SCHEMA_VERSION]) == (
        "AccountOpened", 1, 1,
    )
    assert opened[F.PAYLOAD] == {"owner": "Ada", "currency": "EUR"}
    assert deposited[F.PAYLOAD] == {"amount": Decimal128("3.00"), "balance_after": Decimal128("3.00")}
    for document in (opened, deposited):
        assert document[F.AGGREGATE_TYPE] == contract.AGGREGATE_TYPE
        assert document[F.COMMAND_ID] == document[F.CORRELATION_ID] == "open-contract"
        assert {key: document[key] for key in contract.initial_delivery_state()} == (
            contract.initial_delivery_state()
        )


def test_command_record_stores_type_hash_and_result(bus: CommandBus, write_db: MongoDatabase) -> None:
    account_id = open_account(bus)
    bus.handle(DepositFunds(account_id, Decimal("1.00")), "dep-1")
    record = write_db[contract.COMMANDS_COLLECTION].find_one({"_id": "dep-1"})
    assert record is not None
    assert record["command_type"] == "DepositFunds" and len(record["payload_hash"]) == 64
    assert record["result"]["balance"] == Decimal128("1.00") and record["result"]["version"] == 2


def test_outbox_replays_to_the_stored_account(bus: CommandBus, write_db: MongoDatabase) -> None:
    source, target = open_account(bus, "30.00"), open_account(bus)
    bus.handle(TransferFunds(source, target, Decimal("10.00")), "t-1")
    bus.handle(WithdrawFunds(target, Decimal("10.00")), "w-1")
    bus.handle(CloseAccount(target), "c-1")
    for account_id in (source, target):
        events = [domain_event(document) for document in outbox_of(write_db, account_id)]
        assert BankAccount.from_events(events).state() == stored_account(write_db, account_id).state()


def test_transfer_updates_both_accounts(bus: CommandBus, write_db: MongoDatabase) -> None:
    source, target = open_account(bus, "30.00"), open_account(bus)
    result = bus.handle(TransferFunds(source, target, Decimal("12.34")), "t-2")
    assert isinstance(result, TransferResult)
    assert stored_account(write_db, source).balance == Decimal("17.66")
    assert stored_account(write_db, target).balance == Decimal("12.34")
    sent, received = outbox_of(write_db, source)[-1], outbox_of(write_db, target)[-1]
    assert sent[F.PAYLOAD]["transfer_id"] == received[F.PAYLOAD]["transfer_id"] == result.transfer_id


def test_unknown_account_is_not_found(bus: CommandBus) -> None:
    with pytest.raises(AccountNotFoundError):
        bus.handle(DepositFunds(uuid4(), Decimal("1.00")), "d-unknown")


def test_refused_command_writes_nothing(bus: CommandBus, write_db: MongoDatabase) -> None:
    account_id = open_account(bus, "1.00")
    with pytest.raises(InsufficientFundsError):
        bus.handle(WithdrawFunds(account_id, Decimal("5.00")), "w-refused")
    assert stored_account(write_db, account_id).version == 2
    assert len(outbox_of(write_db, account_id)) == 2
    assert write_db[contract.COMMANDS_COLLECTION].find_one({"_id": "w-refused"}) is None

