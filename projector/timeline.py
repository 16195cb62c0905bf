"""Sync engine service: where each event of one account is — outbox status on the write side, and
whether its effect is in the read model — plus the sync strip's "last events" timings.

The projector is the one package that sees both the outbox and the read models, so this view of
the two side by side is built here. Delivery statuses are shown as stored: whatever value an
entry carries (new statuses included) is passed through, with its ``last_error`` if it has one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accounts_read import selectors
from accounts_write.contract import EventType
from accounts_write.contract import OutboxField as F
from projector.outbox import OutboxStore

TIMELINE_EVENTS = 30


@dataclass(frozen=True)
class EventPlace:
    """One event: its outbox entry's delivery state, and whether the read model has its effect."""

    event_id: uuid.UUID
    aggregate_id: uuid.UUID
    version: int
    event_type: str
    occurred_at: datetime
    status: str
    attempts: int
    last_error: str | None
    projected_at: datetime | None
    in_read_model: bool | None  # None: not asked (the strip's list of recent events)

    @property
    def projection_ms(self) -> float | None:
        """From the event's commit on the write side to its recorded projection."""
        if self.projected_at is None:
            return None
        return max(0.0, (self.projected_at - self.occurred_at).total_seconds() * 1000)


@dataclass(frozen=True)
class AccountTimeline:
    account_id: uuid.UUID
    owner: str | None
    write_version: int
    read_version: int | None  # None: not on the read side yet
    events: list[EventPlace]
    earlier_events: int

    @property
    def behind(self) -> int:
        return max(0, self.write_version - (self.read_version or 0))


def place(document: Mapping[str, Any], read_version: int | None = None, asked: bool = False) -> EventPlace:
    version = int(document[F.AGGREGATE_VERSION])
    return EventPlace(
        event_id=document[F.EVENT_ID],
        aggregate_id=document[F.AGGREGATE_ID],
        version=version,
        event_type=str(document[F.EVENT_TYPE]),
        occurred_at=document[F.OCCURRED_AT],
        status=str(document.get(F.STATUS, "")),
        attempts=int(document.get(F.ATTEMPTS) or 0),
        last_error=document.get(F.LAST_ERROR) or None,
        projected_at=document.get(F.PROJECTED_AT),
        in_read_model=(read_version is not None and version <= read_version) if asked else None,
    )


def account_timeline(outbox: OutboxStore, account_id: uuid.UUID) -> AccountTimeline | None:
    """The account's latest events in version order, or None if the write side never had it."""
    view = selectors.account_detail(account_id)
    read_version = view.version if view is not None else None
    documents = outbox.recent_history(account_id, TIMELINE_EVENTS)
    if not documents:
        return None
    events = [place(document, read_version, asked=True) for document in documents]
    owner = view.owner if view is not None else _owner_from(documents[0])
    write_version = events[-1].version
    return AccountTimeline(
        account_id, owner, write_version, read_version, events, earlier_events=events[0].version - 1
    )


def recent_events(outbox: OutboxStore, limit: int) -> list[EventPlace]:
    """The newest outbox entries with their commit-to-projection time (newest first)."""
    return [place(document) for document in outbox.latest(limit)]


def _owner_from(first: Mapping[str, Any]) -> str | None:
    if first.get(F.EVENT_TYPE) == EventType.ACCOUNT_OPENED.value:
        return str((first.get(F.PAYLOAD) or {}).get("owner") or "") or None
    return None
