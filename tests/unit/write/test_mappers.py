"""Unit: domain objects map to the contract's MongoDB documents and back without loss."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from bson import BSON, CodecOptions
from bson.binary import UuidRepresentation
from bson.decimal128 import Decimal128

from accounts_write import contract
from accounts_write.adapters import mongo_uow
from accounts_write.application.ports import CommandRecord
from accounts_write.application.results import AccountCommandResult, AccountState, TransferResult
from accounts_write.domain.model import BankAccount, transfer
from tests.factories.domain_events import domain_event

NOW = datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)
CODEC: CodecOptions[dict[str, Any]] = CodecOptions(
    tz_aware=True, uuid_representation=UuidRepresentation.STANDARD
)


def through_bson(document: dict) -> dict:
    """What MongoDB would give back."""
    return BSON.encode(document, codec_options=CODEC).decode(codec_options=CODEC)


def accounts_with_history() -> tuple[BankAccount, BankAccount]:
    source = BankAccount.open(
        account_id=uuid4(), owner="Ada", currency="EUR", initial_deposit=Decimal("10.00"), now=NOW
    )
    target = BankAccount.open(account_id=uuid4(), owner="Bob", currency="EUR", initial_deposit=None, now=NOW)
    transfer(source, target, Decimal("10.00"), transfer_id=uuid4(), now=NOW)
    source.close(NOW)
    target.withdraw(Decimal("0.01"), NOW)
    return source, target


def test_account_round_trips() -> None:
    source, _ = accounts_with_history()
    document = through_bson(mongo_uow.account_to_document(source))
    assert document["balance"] == Decimal128("0.00") and document["status"] == "closed"
    assert mongo_uow.account_from_document(document).state() == source.state()


@pytest.mark.parametrize("index", range(7))
def test_every_event_round_trips_through_an_outbox_document(index: int) -> None:
    source, target = accounts_with_history()
    event = [*source.pending_events, *target.pending_events][index]
    document = through_bson(mongo_uow.event_to_outbox(event, "cmd", "corr"))
    assert domain_event(document) == event


def test_outbox_document_has_every_contract_field() -> None:
    source, _ = accounts_with_history()
    document = mongo_uow.event_to_outbox(source.pending_events[2], "cmd", "corr")
    expected = {value for name, value in vars(contract.OutboxField).items() if name.isupper()}
    assert set(document) == expected - contract.DEAD_LETTER_FIELDS
    assert document[contract.OutboxField.EVENT_TYPE] == "TransferSent"
    assert isinstance(document[contract.OutboxField.PAYLOAD]["amount"], Decimal128)


def test_event_class_names_match_the_contract() -> None:
    assert {cls.__name__ for cls in mongo_uow.EVENT_TYPES} == {kind.value for kind in contract.EventType}


@pytest.mark.parametrize(
    "result",
    [
        AccountCommandResult(uuid4(), 3, Decimal("12.50"), (uuid4(),), "cmd-a"),
        TransferResult(
            uuid4(),
            AccountState(uuid4(), 4, Decimal("1.00")),
            AccountState(uuid4(), 2, Decimal("9.00")),
            (uuid4(), uuid4()),
            "cmd-t",
        ),
    ],
)
def test_command_record_round_trips(result: AccountCommandResult | TransferResult) -> None:
    record = CommandRecord(result.command_id, "Whatever", "f" * 64, result, NOW)
    document = through_bson(mongo_uow.command_record_to_document(record))
    assert mongo_uow.command_record_from_document(document) == record
