"""Sync engine boundary: outbox documents decoded through the published contract, plus skipped ones."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accounts_write.contract import (
    EventDecodeError,
    OutboxField,
    PublishedEvent,
    decode_event,
    to_utc,
    to_uuid,
)

# The projector's name for the contract's decoding error (delivery records it in last_error).
EventParseError = EventDecodeError


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


AnyEvent = PublishedEvent | SkippedEvent


def parse_event(document: Mapping[str, Any]) -> AnyEvent:
    """Parse one outbox document; raise EventParseError naming what is wrong.

    A skipped dead letter becomes a ``SkippedEvent`` without reading its type or payload (they may
    be what made it fail).
    """
    skip = document.get(OutboxField.SKIP)
    if skip:
        return _skipped(document, skip)
    return decode_event(document)


def _skipped(document: Mapping[str, Any], skip: Mapping[str, Any]) -> SkippedEvent:
    try:
        version = int(document[OutboxField.AGGREGATE_VERSION])
        return SkippedEvent(
            event_id=to_uuid(document[OutboxField.EVENT_ID]),
            aggregate_id=to_uuid(document[OutboxField.AGGREGATE_ID]),
            version=version,
            event_type=str(document.get(OutboxField.EVENT_TYPE, "?")),
            occurred_at=to_utc(document[OutboxField.OCCURRED_AT]),
            skipped_by=str(skip.get("by", "?")),
            skipped_at=to_utc(skip["at"]),
            reason=str(skip.get("reason", "")),
        )
    except (LookupError, TypeError, ValueError) as exc:
        raise EventParseError(f"skipped entry without a usable aggregate/version: {exc}") from exc
