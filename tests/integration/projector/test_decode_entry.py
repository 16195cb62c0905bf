"""decode_entry: outbox documents in the contract shape become typed events; anything else is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from accounts_write.contract import (
    EventDecodeError,
    EventType,
    PublishedEvent,
    SkippedEvent,
    TransferSentPayload,
    decode_entry,
)
from tests.factories.outbox import AccountHistory, money, outbox_document


def test_money_and_ids_are_typed():
    ada, bob = AccountHistory(), AccountHistory()
    ada.opened()
    bob.opened()
    sent, _ = ada.transfer_to(bob, "12.5")

    event = decode_entry(sent)

    assert isinstance(event, PublishedEvent)
    assert event.event_type is EventType.TRANSFER_SENT
    assert event.payload == TransferSentPayload(
        transfer_id=sent["payload"]["transfer_id"],
        to_account=bob.account_id,
        amount=Decimal("12.50"),
        balance_after=Decimal("-12.50"),
    )
    assert isinstance(event.payload.transfer_id, uuid.UUID)


def test_a_naive_occurred_at_is_read_as_utc():
    document = AccountHistory().opened()
    document["occurred_at"] = datetime(2026, 1, 2, 3, 4, 5)

    assert decode_entry(document).occurred_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"event_type": "FundsTeleported"}, "FundsTeleported"),
        ({"schema_version": 99}, "schema version 99"),
        ({"payload": {"amount": money("1.00")}}, "balance_after"),
        ({"aggregate_version": 0}, "not positive"),
        ({"occurred_at": "yesterday"}, "not a datetime"),
        ({"payload": {"amount": "NaN", "balance_after": "1.00"}}, "not finite"),
    ],
)
def test_documents_outside_the_contract_are_refused_with_a_reason(change, message):
    document = outbox_document(uuid.uuid4(), 2, EventType.FUNDS_DEPOSITED,
                               {"amount": money("1.00"), "balance_after": money("1.00")})
    document.update(change)

    with pytest.raises(EventDecodeError, match=message):
        decode_entry(document)


def test_a_skipped_dead_letter_is_read_without_its_type_or_payload():
    document = outbox_document(uuid.uuid4(), 2, "FundsTeleported", {"amount": "NaN"})
    at = datetime(2026, 1, 2, 3, 4, 5)
    document["skip"] = {"by": "ops", "at": at, "reason": "poison"}

    event = decode_entry(document)

    assert isinstance(event, SkippedEvent)
    assert (event.version, event.event_type) == (2, "FundsTeleported")
    assert event.skipped_at == at.replace(tzinfo=UTC)
    assert event.attention.endswith("skipped by ops at 2026-01-02 03:04:05Z: poison")


def test_a_skipped_entry_without_a_version_is_refused():
    document = outbox_document(uuid.uuid4(), 2, EventType.ACCOUNT_CLOSED)
    del document["aggregate_version"]
    document["skip"] = {"by": "ops", "at": datetime.now(UTC), "reason": "poison"}

    with pytest.raises(EventDecodeError, match="skipped entry without a usable aggregate/version"):
        decode_entry(document)
