"""Test factories: the write side's domain event that a decoded outbox document records."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from accounts_write.adapters.mongo_uow import EVENT_CLASSES
from accounts_write.contract import decode_event
from accounts_write.domain.events import DomainEvent


def domain_event(document: Mapping[str, Any]) -> DomainEvent:
    """Decode through the contract, then rebuild the domain event (for replays in tests)."""
    event = decode_event(document)
    fields = {field.name: getattr(event.payload, field.name) for field in dataclasses.fields(event.payload)}
    return EVENT_CLASSES[event.event_type](
        event_id=event.event_id,
        aggregate_id=event.aggregate_id,
        aggregate_version=event.version,
        occurred_at=event.occurred_at,
        **fields,
    )
