"""Published language: the outbox event contract shared by the write side and the projector.

The write side owns this contract and publishes events in it; the projector consumes them.
It is deliberately small and framework-free: names, schema versions, payload fields and the
shape of an outbox document in MongoDB. Changing a payload means a new schema version.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

AGGREGATE_TYPE = "BankAccount"

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


@dataclass(frozen=True)
class EventSchema:
    """One event type at one schema version: which payload fields it carries."""

    event_type: EventType
    schema_version: int
    fields: tuple[str, ...]
    # Money fields are Decimal128 in MongoDB (2 decimal places), Decimal in Python.
    money_fields: tuple[str, ...] = ()
    # UUID fields are BSON UUIDs (binary subtype 4) in MongoDB, uuid.UUID in Python.
    uuid_fields: tuple[str, ...] = ()


SCHEMAS: dict[tuple[EventType, int], EventSchema] = {
    (schema.event_type, schema.schema_version): schema
    for schema in (
        EventSchema(EventType.ACCOUNT_OPENED, 1, fields=("owner", "currency")),
        EventSchema(
            EventType.FUNDS_DEPOSITED,
            1,
            fields=("amount", "balance_after"),
            money_fields=("amount", "balance_after"),
        ),
        EventSchema(
            EventType.FUNDS_WITHDRAWN,
            1,
            fields=("amount", "balance_after"),
            money_fields=("amount", "balance_after"),
        ),
        EventSchema(
            EventType.TRANSFER_SENT,
            1,
            fields=("transfer_id", "to_account", "amount", "balance_after"),
            money_fields=("amount", "balance_after"),
            uuid_fields=("transfer_id", "to_account"),
        ),
        EventSchema(
            EventType.TRANSFER_RECEIVED,
            1,
            fields=("transfer_id", "from_account", "amount", "balance_after"),
            money_fields=("amount", "balance_after"),
            uuid_fields=("transfer_id", "from_account"),
        ),
        EventSchema(EventType.ACCOUNT_CLOSED, 1, fields=()),
    )
}

CURRENT_SCHEMA_VERSION: dict[EventType, int] = {
    event_type: max(version for (kind, version) in SCHEMAS if kind == event_type) for event_type in EventType
}


class UnknownEventSchemaError(LookupError):
    """An outbox event names a type or schema version this code does not know."""


def schema_for(event_type: str, schema_version: int) -> EventSchema:
    try:
        return SCHEMAS[(EventType(event_type), schema_version)]
    except (ValueError, KeyError) as exc:
        raise UnknownEventSchemaError(
            f"unknown event {event_type!r} schema version {schema_version}"
        ) from exc


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
