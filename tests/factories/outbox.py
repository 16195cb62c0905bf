"""Test factories: outbox documents in the published contract shape, as the write side stores them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bson.decimal128 import Decimal128

from accounts_write.contract import (
    AGGREGATE_TYPE,
    EventType,
    OutboxField,
    initial_delivery_state,
)


def utc_now_ms() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def outbox_document(
    aggregate_id: uuid.UUID,
    version: int,
    event_type: EventType | str,
    payload: dict[str, Any] | None = None,
    *,
    event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
    schema_version: int = 1,
) -> dict[str, Any]:
    """One outbox document, pending, exactly as the contract describes it."""
    document: dict[str, Any] = {
        OutboxField.EVENT_ID: event_id or uuid.uuid4(),
        OutboxField.AGGREGATE_TYPE: AGGREGATE_TYPE,
        OutboxField.AGGREGATE_ID: aggregate_id,
        OutboxField.AGGREGATE_VERSION: version,
        OutboxField.EVENT_TYPE: str(event_type),
        OutboxField.SCHEMA_VERSION: schema_version,
        OutboxField.PAYLOAD: payload or {},
        OutboxField.OCCURRED_AT: occurred_at or utc_now_ms(),
        OutboxField.COMMAND_ID: str(uuid.uuid4()),
        OutboxField.CORRELATION_ID: str(uuid.uuid4()),
    }
    document.update(initial_delivery_state())
    return document


def money(value: Decimal | str | int) -> Decimal128:
    return Decimal128(Decimal(value).quantize(Decimal("0.01")))


class AccountHistory:
    """A consistent event history of one account: versions count up and balances follow."""

    def __init__(
        self,
        owner: str = "Ada Lovelace",
        currency: str = "EUR",
        account_id: uuid.UUID | None = None,
        start: datetime | None = None,
    ) -> None:
        self.account_id = account_id or uuid.uuid4()
        self.owner = owner
        self.currency = currency
        self.version = 0
        self.balance = Decimal("0.00")
        self._clock = start
        self.documents: list[dict[str, Any]] = []

    def opened(self) -> dict[str, Any]:
        return self._next(EventType.ACCOUNT_OPENED, {"owner": self.owner, "currency": self.currency})

    def deposited(self, amount: Decimal | str) -> dict[str, Any]:
        self.balance += Decimal(amount)
        payload = {"amount": money(amount), "balance_after": money(self.balance)}
        return self._next(EventType.FUNDS_DEPOSITED, payload)

    def withdrawn(self, amount: Decimal | str) -> dict[str, Any]:
        self.balance -= Decimal(amount)
        payload = {"amount": money(amount), "balance_after": money(self.balance)}
        return self._next(EventType.FUNDS_WITHDRAWN, payload)

    def transfer_to(
        self, other: AccountHistory, amount: Decimal | str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        transfer_id = uuid.uuid4()
        self.balance -= Decimal(amount)
        other.balance += Decimal(amount)
        sent = self._next(
            EventType.TRANSFER_SENT,
            {"transfer_id": transfer_id, "to_account": other.account_id, "amount": money(amount),
             "balance_after": money(self.balance)},
        )
        received = other._next(
            EventType.TRANSFER_RECEIVED,
            {"transfer_id": transfer_id, "from_account": self.account_id, "amount": money(amount),
             "balance_after": money(other.balance)},
        )
        return sent, received

    def closed(self) -> dict[str, Any]:
        return self._next(EventType.ACCOUNT_CLOSED, {})

    def _next(self, event_type: EventType, payload: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        occurred_at = None
        if self._clock is not None:
            occurred_at = self._clock + timedelta(seconds=self.version)
        document = outbox_document(
            self.account_id, self.version, event_type, payload, occurred_at=occurred_at
        )
        self.documents.append(document)
        return document
