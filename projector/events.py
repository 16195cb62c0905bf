"""Sync engine boundary: outbox documents parsed into typed events the projections understand."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from accounts_write.contract import EventType, OutboxField, schema_for

CENTS = Decimal("0.01")


class EventParseError(ValueError):
    """An outbox document that does not match the published contract."""


@dataclass(frozen=True)
class SkippedEvent:
    """A dead letter an operator skipped: its version is consumed with no effect on the read models."""

    event_id: uuid.UUID
    aggregate_id: uuid.UUID
    version: int
    event_type: str
    occurred_at: datetime
    skipped_by: str
    skipped_at: datetime
    reason: str

    @property
    def order_key(self) -> tuple[str, int]:
        return (str(self.aggregate_id), self.version)

    @property
    def attention(self) -> str:
        return (
            f"{self.event_type} v{self.version} ({self.event_id}) skipped by {self.skipped_by} "
            f"at {self.skipped_at:%Y-%m-%d %H:%M:%S}Z: {self.reason}"
        )


@dataclass(frozen=True)
class ProjectorEvent:
    """One write-side event, as the projector needs it (money as Decimal, ids as UUID)."""

    event_id: uuid.UUID
    aggregate_id: uuid.UUID
    version: int
    event_type: EventType
    occurred_at: datetime
    owner: str = ""
    currency: str = ""
    amount: Decimal | None = None
    balance_after: Decimal | None = None
    transfer_id: uuid.UUID | None = None
    counterparty_id: uuid.UUID | None = None

    @property
    def order_key(self) -> tuple[str, int]:
        return (str(self.aggregate_id), self.version)


AnyEvent = ProjectorEvent | SkippedEvent


def parse_event(document: Mapping[str, Any]) -> AnyEvent:
    """Parse one outbox document; raise EventParseError naming what is wrong.

    A skipped dead letter becomes a ``SkippedEvent`` without reading its type or payload (they may
    be what made it fail).
    """
    skip = document.get(OutboxField.SKIP)
    if skip:
        return _skipped(document, skip)
    return _parse_event(document)


def _skipped(document: Mapping[str, Any], skip: Mapping[str, Any]) -> SkippedEvent:
    try:
        version = int(document[OutboxField.AGGREGATE_VERSION])
        return SkippedEvent(
            event_id=_uuid(document[OutboxField.EVENT_ID]),
            aggregate_id=_uuid(document[OutboxField.AGGREGATE_ID]),
            version=version,
            event_type=str(document.get(OutboxField.EVENT_TYPE, "?")),
            occurred_at=_utc(document[OutboxField.OCCURRED_AT]),
            skipped_by=str(skip.get("by", "?")),
            skipped_at=_utc(skip["at"]),
            reason=str(skip.get("reason", "")),
        )
    except (LookupError, TypeError, ValueError) as exc:
        raise EventParseError(f"skipped entry without a usable aggregate/version: {exc}") from exc


def _parse_event(document: Mapping[str, Any]) -> ProjectorEvent:
    try:
        event_type = str(document[OutboxField.EVENT_TYPE])
        schema = schema_for(event_type, int(document[OutboxField.SCHEMA_VERSION]))
        payload: Mapping[str, Any] = document.get(OutboxField.PAYLOAD) or {}
        missing = [name for name in schema.fields if name not in payload]
        if missing:
            raise EventParseError(f"payload lacks {', '.join(missing)}")
        version = int(document[OutboxField.AGGREGATE_VERSION])
        if version < 1:
            raise EventParseError(f"aggregate version {version} is not positive")
        counterparty = payload.get("to_account") or payload.get("from_account")
        return ProjectorEvent(
            event_id=_uuid(document[OutboxField.EVENT_ID]),
            aggregate_id=_uuid(document[OutboxField.AGGREGATE_ID]),
            version=version,
            event_type=schema.event_type,
            occurred_at=_utc(document[OutboxField.OCCURRED_AT]),
            owner=str(payload.get("owner", "")),
            currency=str(payload.get("currency", "")),
            amount=_money(payload["amount"]) if "amount" in payload else None,
            balance_after=_money(payload["balance_after"]) if "balance_after" in payload else None,
            transfer_id=_uuid(payload["transfer_id"]) if "transfer_id" in payload else None,
            counterparty_id=_uuid(counterparty) if counterparty is not None else None,
        )
    except EventParseError:
        raise
    except (LookupError, TypeError, ValueError, ArithmeticError) as exc:
        raise EventParseError(f"{exc.__class__.__name__}: {exc}") from exc


def _uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


def _money(value: Any) -> Decimal:
    # bson.Decimal128 has to_decimal(); reading it by duck type keeps bson out of this module.
    raw = value.to_decimal() if hasattr(value, "to_decimal") else Decimal(str(value))
    if not raw.is_finite():
        raise EventParseError(f"money value {raw} is not finite")
    return raw.quantize(CENTS)


def _utc(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise EventParseError(f"occurred_at is {type(value).__name__}, not a datetime")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
