"""Sync engine: what became of the events of a batch, or of all the batches of a sweep.

``apply_events`` says what the read models made of each event; ``deliver`` what the outbox then
made of them (held back, parked, dead); a sweep adds up its batches. The counts are what logs,
metrics and the retry task report; the event lists describe one batch only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields

from accounts_write.contract import AnyEvent


@dataclass
class Outcome:
    """Counts per fate (``add`` sums them), and the events of one batch behind them."""

    seen: int = 0
    applied: int = 0
    duplicates: int = 0
    # Held back for a missing earlier event (``deliver``: only those not parked behind a failure).
    held: int = 0
    parked: int = 0
    # Failed permanently (``deliver``: also unparseable entries; a transient error raises instead).
    failed: int = 0
    dead: int = 0
    released: int = 0
    batches: int = 0
    # One batch's events (``apply_events``), by fate; permanent failures: event id → why.
    applied_events: list[AnyEvent] = field(default_factory=list, repr=False)
    duplicate_events: list[AnyEvent] = field(default_factory=list, repr=False)
    held_events: list[AnyEvent] = field(default_factory=list, repr=False)
    errors: dict[uuid.UUID, str] = field(default_factory=dict)
    # The batch ran again account by account after a permanent error.
    isolated: bool = False
    # Entries now done that had been failing: entries parked behind them can be released.
    unblocked: list[uuid.UUID] = field(default_factory=list)

    @property
    def unfinished(self) -> int:
        return self.held + self.failed

    @property
    def done_events(self) -> list[AnyEvent]:
        """Events whose effect is in the read models: applied now or before."""
        return [*self.applied_events, *self.duplicate_events]

    def count_events(self, seen: int) -> Outcome:
        """Set the counts from the event lists, once ``seen`` events of a batch are decided."""
        self.seen, self.batches = seen, 1
        self.applied, self.duplicates = len(self.applied_events), len(self.duplicate_events)
        self.held, self.failed = len(self.held_events), len(self.errors)
        return self

    def add(self, other: Outcome) -> None:
        """Take in another batch's outcome (or another part of the same batch)."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.applied_events += other.applied_events
        self.duplicate_events += other.duplicate_events
        self.held_events += other.held_events
        self.errors.update(other.errors)
        self.unblocked += other.unblocked

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTS}


# The int fields, in order: what ``add`` sums and the retry task reports (its JSON keys).
COUNTS = tuple(f.name for f in fields(Outcome) if f.type == "int")
