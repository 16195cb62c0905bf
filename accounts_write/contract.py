"""Published language: the outbox event contract shared by the write side and the projector.

The write side owns this contract and publishes events in it; the projector consumes them.
It is deliberately small and framework-free: names, schema versions, one payload type per event,
the shape of an outbox document in MongoDB, and ``decode_event``/``decode_entry``, the one reader
of that shape (``decode_entry`` also reads an entry an operator skipped). Changing a payload means
a new schema version.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any, get_type_hints
from uuid import UUID

AGGREGATE_TYPE = "BankAccount"
CENTS = Decimal("0.01")

# MongoDB collections of the write database.
ACCOUNTS_COLLECTION = "accounts"
OUTBOX_COLLECTION = "outbox"
COMMANDS_COLLECTION = "commands"


class EventType(StrEnum):
    ACCOUNT_OPENED = "AccountOpened"
    FUNDS_DEPOSITED = "FundsDeposited"
    FUNDS_WITHDRAWN = "FundsWithdrawn"
    TRANSFER_SENT = "TransferSent"
    TRANSFER_RECEIVED = "TransferReceived"
    ACCOUNT_CLOSED = "AccountClosed"


# --- payloads: one frozen dataclass per event type and schema version -------------------------
# Field order is the order in the stored payload. Money is Decimal (Decimal128 in MongoDB, 2 places),
# ids are uuid.UUID (BSON UUIDs, binary subtype 4).


@dataclass(frozen=True, slots=True)
class AccountOpenedPayload:
    owner: str
    currency: str


@dataclass(frozen=True, slots=True)
class FundsDepositedPayload:
    amount: Decimal
    balance_after: Decimal


@dataclass(frozen=True, slots=True)
class FundsWithdrawnPayload:
    amount: Decimal
    balance_after: Decimal


@dataclass(frozen=True, slots=True)
class TransferSentPayload:
    transfer_id: UUID
    to_account: UUID
    amount: Decimal
    balance_after: Decimal


@dataclass(frozen=True, slots=True)
class TransferReceivedPayload:
    transfer_id: UUID
    from_account: UUID
    amount: Decimal
    balance_after: Decimal


@dataclass(frozen=True, slots=True)
class AccountClosedPayload:
    pass


Payload = (
    AccountOpenedPayload
    | FundsDepositedPayload
    | FundsWithdrawnPayload
    | TransferSentPayload
    | TransferReceivedPayload
    | AccountClosedPayload
)


@dataclass(frozen=True)
class EventSchema:
    """One event type at one schema version: its payload type, and the field lists derived from it."""

    event_type: EventType
    schema_version: int
    payload_type: type[Payload]

    @cached_property
    def fields(self) -> tuple[str, ...]:
        return tuple(field.name for field in dataclasses.fields(self.payload_type))

    @cached_property
    def money_fields(self) -> tuple[str, ...]:
        return tuple(name for name, kind in self._field_types.items() if kind is Decimal)

    @cached_property
    def readers(self) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
        """(field, how to read its stored value), in payload order."""
        return tuple((name, _READERS[self._field_types[name]]) for name in self.fields)

    @cached_property
    def _field_types(self) -> dict[str, type]:
        return get_type_hints(self.payload_type)


# EventType is a StrEnum, so a plain type name finds its schema too.
SCHEMAS: dict[tuple[str, int], EventSchema] = {
    (schema.event_type, schema.schema_version): schema
    for schema in (
        EventSchema(EventType.ACCOUNT_OPENED, 1, AccountOpenedPayload),
        EventSchema(EventType.FUNDS_DEPOSITED, 1, FundsDepositedPayload),
        EventSchema(EventType.FUNDS_WITHDRAWN, 1, FundsWithdrawnPayload),
        EventSchema(EventType.TRANSFER_SENT, 1, TransferSentPayload),
        EventSchema(EventType.TRANSFER_RECEIVED, 1, TransferReceivedPayload),
        EventSchema(EventType.ACCOUNT_CLOSED, 1, AccountClosedPayload),
    )
}

CURRENT_SCHEMA_VERSION: dict[EventType, int] = {
    event_type: max(version for (kind, version) in SCHEMAS if kind == event_type) for event_type in EventType
}


class UnknownEventSchemaError(LookupError):
    """An outbox event names a type or schema version this code does not know."""


def schema_for(event_type: str, schema_version: int) -> EventSchema:
    schema = SCHEMAS.get((event_type, schema_version))
    if schema is None:
        raise UnknownEventSchemaError(f"unknown event {event_type!r} schema version {schema_version}")
    return schema


class OutboxStatus(StrEnum):
    """Delivery state of an outbox entry: pending → in_progress → done | failed → dead.

    ``parked``: waiting behind an earlier event of the same aggregate that failed permanently or is
    dead (released, in version order, once that one is retried or skipped). ``skipped``: a dead
    letter an operator skipped; its version was consumed without effect (final, like ``done``).
    """

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"
    DEAD = "dead"
    PARKED = "parked"
    SKIPPED = "skipped"


class OutboxField:
    """Field names of an outbox document (one document per event, kept after projection)."""

    EVENT_ID = "_id"  # UUID: the event id
    AGGREGATE_TYPE = "aggregate_type"  # str: AGGREGATE_TYPE
    AGGREGATE_ID = "aggregate_id"  # UUID
    AGGREGATE_VERSION = "aggregate_version"  # int: the aggregate's version after this event
    EVENT_TYPE = "event_type"  # str: an EventType value
    SCHEMA_VERSION = "schema_version"  # int
    PAYLOAD = "payload"  # dict: the schema's fields
    OCCURRED_AT = "occurred_at"  # datetime, UTC
    COMMAND_ID = "command_id"  # str: the command (idempotency key) that produced the event
    CORRELATION_ID = "correlation_id"  # str: ties the events of one request together
    # Delivery state, written by the projector and the retry task.
    STATUS = "status"  # str: an OutboxStatus value
    ATTEMPTS = "attempts"  # int
    LAST_ERROR = "last_error"  # str | None
    NEXT_ATTEMPT_AT = "next_attempt_at"  # datetime | None
    LEASE_OWNER = "lease_owner"  # str | None
    LEASE_UNTIL = "lease_until"  # datetime | None
    PROJECTED_AT = "projected_at"  # datetime | None
    # Dead-letter handling (absent until the first failure or operator action).
    PERMANENT_FAILURES = "permanent_failures"  # int: failed attempts that count toward dead
    ATTEMPT_HISTORY = "attempt_history"  # list of {at, owner, error, permanent}, newest last
    DIED_AT = "died_at"  # datetime: when the entry became dead
    PARKED_BEHIND = "parked_behind"  # UUID: the failing entry this one waits behind
    SKIP = "skip"  # {by, at, reason}: an operator skipped this dead letter
    AUDIT = "audit"  # list of {at, by, action, reason}: operator actions (retry, skip)


# Outbox fields a new entry does not carry: they appear with the first failure or operator action.
DEAD_LETTER_FIELDS = frozenset(
    {
        OutboxField.PERMANENT_FAILURES,
        OutboxField.ATTEMPT_HISTORY,
        OutboxField.DIED_AT,
        OutboxField.PARKED_BEHIND,
        OutboxField.SKIP,
        OutboxField.AUDIT,
    }
)


class CommandRecordField:
    """Field names of a command record (idempotency) that other components rely on."""

    ID = "_id"  # str: the command id (Idempotency-Key)
    RECORDED_AT = "recorded_at"  # datetime: when the command was executed


class AccountField:
    """Field names of an account document in the accounts collection (the write state)."""

    ID = "_id"  # UUID
    OWNER = "owner"  # str
    CURRENCY = "currency"  # str: ISO 4217 code
    BALANCE = "balance"  # Decimal128, 2 places
    STATUS = "status"  # str: "open" | "closed"
    VERSION = "version"  # int: the number of events the account has
    OPENED_AT = "opened_at"  # datetime
    UPDATED_AT = "updated_at"  # datetime
    CLOSED_AT = "closed_at"  # datetime | None


def initial_delivery_state() -> dict[str, object]:
    """The delivery fields every new outbox document starts with."""
    return {
        OutboxField.STATUS: OutboxStatus.PENDING.value,
        OutboxField.ATTEMPTS: 0,
        OutboxField.LAST_ERROR: None,
        OutboxField.NEXT_ATTEMPT_AT: None,
        OutboxField.LEASE_OWNER: None,
        OutboxField.LEASE_UNTIL: None,
        OutboxField.PROJECTED_AT: None,
    }


# --- decoding: an outbox document as a typed event ---------------------------------------------


class EventDecodeError(ValueError):
    """An outbox document that does not match the published contract."""


@dataclass(frozen=True, slots=True)
class PublishedEvent:
    """One event as published: the envelope (ids, version, type, UTC time) and its typed payload."""

    event_id: UUID
    aggregate_id: UUID
    version: int
    event_type: EventType
    occurred_at: datetime
    payload: Payload

    @property
    def order_key(self) -> tuple[str, int]:
        """Events of one aggregate take effect in version order."""
        return (str(self.aggregate_id), self.version)


def decode_event(document: Mapping[str, Any]) -> PublishedEvent:
    """Decode one outbox document; raise EventDecodeError naming what is wrong."""
    try:
        schema = schema_for(str(document[OutboxField.EVENT_TYPE]), int(document[OutboxField.SCHEMA_VERSION]))
        payload: Mapping[str, Any] = document.get(OutboxField.PAYLOAD) or {}
        missing = [name for name in schema.fields if name not in payload]
        if missing:
            raise EventDecodeError(f"payload lacks {', '.join(missing)}")
        version = int(document[OutboxField.AGGREGATE_VERSION])
        if version < 1:
            raise EventDecodeError(f"aggregate version {version} is not positive")
        return PublishedEvent(
            event_id=to_uuid(document[OutboxField.EVENT_ID]),
            aggregate_id=to_uuid(document[OutboxField.AGGREGATE_ID]),
            version=version,
            event_type=schema.event_type,
            occurred_at=to_utc(document[OutboxField.OCCURRED_AT]),
            payload=schema.payload_type(*[read(payload[name]) for name, read in schema.readers]),
        )
    except EventDecodeError:
        raise
    except (LookupError, TypeError, ValueError, ArithmeticError) as exc:
        raise EventDecodeError(f"{exc.__class__.__name__}: {exc}") from exc


@dataclass(frozen=True)
class SkippedEvent:
    """A dead letter an operator skipped: its version is consumed with no effect on the read models."""

    event_id: UUID
    aggregate_id: UUID
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


AnyEvent = PublishedEvent | SkippedEvent


def decode_entry(document: Mapping[str, Any]) -> AnyEvent:
    """Decode one outbox entry; raise EventDecodeError naming what is wrong.

    A skipped dead letter (``OutboxField.SKIP``) becomes a ``SkippedEvent`` without reading its
    type or payload (they may be what made it fail).
    """
    skip = document.get(OutboxField.SKIP)
    if skip:
        return _skipped(document, skip)
    return decode_event(document)


def _skipped(document: Mapping[str, Any], skip: Mapping[str, Any]) -> SkippedEvent:
    try:
        return SkippedEvent(
            event_id=to_uuid(document[OutboxField.EVENT_ID]),
            aggregate_id=to_uuid(document[OutboxField.AGGREGATE_ID]),
            version=int(document[OutboxField.AGGREGATE_VERSION]),
            event_type=str(document.get(OutboxField.EVENT_TYPE, "?")),
            occurred_at=to_utc(document[OutboxField.OCCURRED_AT]),
            skipped_by=str(skip.get("by", "?")),
            skipped_at=to_utc(skip["at"]),
            reason=str(skip.get("reason", "")),
        )
    except (LookupError, TypeError, ValueError) as exc:
        raise EventDecodeError(f"skipped entry without a usable aggregate/version: {exc}") from exc


def to_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def to_money(value: Any) -> Decimal:
    """A stored amount as Decimal to the cent; bson's Decimal128 is read by duck type (to_decimal)."""
    raw = value.to_decimal() if hasattr(value, "to_decimal") else Decimal(str(value))
    if not raw.is_finite():
        raise EventDecodeError(f"money value {raw} is not finite")
    return raw.quantize(CENTS)


def to_utc(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise EventDecodeError(f"occurred_at is {type(value).__name__}, not a datetime")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_READERS: dict[type, Callable[[Any], Any]] = {str: str, Decimal: to_money, UUID: to_uuid}
