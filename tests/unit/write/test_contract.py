"""Unit: the published contract decodes outbox documents into typed events, and nothing else."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from bson.decimal128 import Decimal128

from accounts_write import contract
from accounts_write.contract import (
    AccountClosedPayload,
    AccountOpenedPayload,
    EventDecodeError,
    EventType,
    FundsDepositedPayload,
    FundsWithdrawnPayload,
    PublishedEvent,
    TransferReceivedPayload,
    TransferSentPayload,
    decode_event,
)
from tests.factories.outbox import AccountHistory, money, outbox_document

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_every_event_type_decodes_to_its_own_payload_type() -> None:
    ada, bob = AccountHistory(start=START), AccountHistory(start=START)
    ada.opened()
    bob.opened()
    ada.deposited("10")
    ada.withdrawn("2.5")
    sent, received = ada.transfer_to(bob, "1.25")
    ada.closed()
    transfer_id = sent["payload"]["transfer_id"]

    payloads = [decode_event(document).payload for document in (*ada.documents, received)]

    assert payloads == [
        AccountOpenedPayload(owner="Ada Lovelace", currency="EUR"),
        FundsDepositedPayload(amount=Decimal("10.00"), balance_after=Decimal("10.00")),
        FundsWithdrawnPayload(amount=Decimal("2.50"), balance_after=Decimal("7.50")),
        TransferSentPayload(transfer_id, bob.account_id, Decimal("1.25"), Decimal("6.25")),
        AccountClosedPayload(),
        TransferReceivedPayload(transfer_id, ada.account_id, Decimal("1.25"), Decimal("1.25")),
    ]


def test_the_envelope_is_typed_and_in_utc() -> None:
    event_id, account_id = uuid.uuid4(), uuid.uuid4()
    paris = timezone(timedelta(hours=1))
    document = outbox_document(
        str(account_id),  # type: ignore[arg-type]  # a string id is read as a UUID too
        3,
        "AccountClosed",
        event_id=event_id,
        occurred_at=datetime(2026, 3, 1, 10, 0, tzinfo=paris),
    )

    event = decode_event(document)

    assert event == PublishedEvent(
        event_id=event_id,
        aggregate_id=account_id,
        version=3,
        event_type=EventType.ACCOUNT_CLOSED,
        occurred_at=START,
        payload=AccountClosedPayload(),
    )
    assert event.occurred_at.tzinfo is UTC
    assert event.order_key == (str(account_id), 3)


@pytest.mark.parametrize(
    ("stored", "decoded"),
    [(Decimal128("1.5"), "1.50"), (Decimal128("12"), "12.00"), ("7", "7.00"), (Decimal("2.345"), "2.34")],
)
def test_money_is_read_to_the_cent(stored: object, decoded: str) -> None:
    document = outbox_document(uuid.uuid4(), 2, "FundsDeposited", {"amount": stored, "balance_after": stored})

    payload = decode_event(document).payload

    assert isinstance(payload, FundsDepositedPayload)
    assert payload == FundsDepositedPayload(Decimal(decoded), Decimal(decoded))
    assert str(payload.amount) == decoded


@pytest.mark.parametrize("value", [Decimal128("Infinity"), Decimal128("NaN"), "-Infinity"])
def test_money_that_is_not_finite_is_refused(value: object) -> None:
    document = outbox_document(
        uuid.uuid4(), 2, "FundsWithdrawn", {"amount": money(1), "balance_after": value}
    )

    with pytest.raises(EventDecodeError, match="not finite"):
        decode_event(document)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"event_type": "FundsTeleported"}, "UnknownEventSchemaError: unknown event 'FundsTeleported'"),
        ({"payload": {"transfer_id": uuid.uuid4()}}, "payload lacks to_account, amount, balance_after"),
        ({"payload": None}, "payload lacks transfer_id, to_account, amount, balance_after"),
        ({"_id": "not-a-uuid"}, "ValueError: badly formed hexadecimal UUID string"),
        ({"aggregate_version": "two"}, "ValueError: invalid literal for int"),
        ({"aggregate_version": -1}, "aggregate version -1 is not positive"),
    ],
)
def test_errors_name_what_is_wrong(change: dict[str, object], message: str) -> None:
    ada, bob = AccountHistory(), AccountHistory()
    sent, _ = ada.transfer_to(bob, "1.00")
    sent.update(change)

    with pytest.raises(EventDecodeError, match=message) as refused:
        decode_event(sent)

    assert isinstance(refused.value, ValueError)


def test_field_lists_are_derived_from_the_payload_types() -> None:
    schema = contract.schema_for("TransferSent", 1)

    assert schema.fields == ("transfer_id", "to_account", "amount", "balance_after")
    assert schema.money_fields == ("amount", "balance_after")
    assert contract.schema_for(EventType.ACCOUNT_OPENED, 1).money_fields == ()


def test_every_event_type_has_a_current_schema_with_its_own_payload_type() -> None:
    schemas = [contract.schema_for(kind, contract.CURRENT_SCHEMA_VERSION[kind]) for kind in EventType]

    assert [schema.payload_type.__name__ for schema in schemas] == [
        f"{kind.value}Payload" for kind in EventType
    ]
    assert all(dataclasses.is_dataclass(schema.payload_type) for schema in schemas)


def test_an_unknown_schema_version_is_refused() -> None:
    with pytest.raises(contract.UnknownEventSchemaError, match="'AccountOpened' schema version 2"):
        contract.schema_for("AccountOpened", 2)
