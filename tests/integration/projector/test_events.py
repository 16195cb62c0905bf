"""parse_event: outbox documents in the contract shape become typed events; anything else is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from accounts_write.contract import EventType
from projector.events import EventParseError, ProjectorEvent, parse_event
from tests.factories.outbox import AccountHistory, money, outbox_document


def test_money_and_ids_are_typed():
    ada, bob = AccountHistory(), AccountHistory()
    ada.opened()
    bob.opened()
    sent, _ = ada.transfer_to(bob, "12.5")

    event = parse_event(sent)

    assert isinstance(event, ProjectorEvent)
    assert event.event_type is EventType.TRANSFER_SENT
    assert (event.amount, event.balance_after) == (Decimal("12.50"), Decimal("-12.50"))
    assert event.counterparty_id == bob.account_id
    assert isinstance(event.transfer_id, uuid.UUID)


def test_a_naive_occurred_at_is_read_as_utc():
    document = AccountHistory().opened()
    document["occurred_at"] = datetime(2026, 1, 2, 3, 4, 5)

    assert parse_event(document).occurred_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


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

    with pytest.raises(EventParseError, match=message):
        parse_event(document)
