"""Sync engine core: apply a batch of events to the read models in ONE MySQL transaction.

The per-aggregate version gate makes it idempotent: for each event (sorted by aggregate and
version, so a batch heals its own reordering) the account row is locked; an event at or below
the row's version is a duplicate and skipped, the next version is applied, and one further
ahead is held back for the missing event to arrive first. The change-stream checkpoint is saved
in the same transaction, so a crash either keeps the batch and its checkpoint or neither.

A transient database error (connection lost, lock wait, deadlock) rolls the whole batch back and
is raised: the batch is retried later. A permanent one (an event the read models cannot take)
makes the batch run again aggregate by aggregate, each under a savepoint, so that every healthy
event still commits and only the failing event — and the later events of its aggregate, which
must not be applied around it — stay behind (ADR 0010).

Every path returns an ``Outcome``, born here: ``apply_events`` says what the read models made of
each event; ``deliver`` what the outbox then made of them (held back, parked, dead); a sweep adds
up its batches. The counts are what logs, metrics and the retry task report; the event lists
describe one batch only.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import date
from functools import partial
from itertools import groupby

from django.db import transaction
from django.utils import timezone

from accounts_read.models import AccountView, AccountViewColumns
from accounts_write.contract import AnyEvent
from projector import metrics
from projector.failures import describe, is_transient
from projector.leader import CheckpointUpdate, LeaderLease, LeaseLostError, save_checkpoint, share_fence
from projector.projections import BatchChanges, ProjectionError, project, save_changes
from projector.shadow import LIVE, ReadTables

logger = logging.getLogger(__name__)


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


def apply_events(
    events: Iterable[AnyEvent],
    *,
    checkpoint: CheckpointUpdate | None = None,
    fence: LeaderLease | None = None,
    tables: ReadTables = LIVE,
    daily_from: date | None = None,
) -> Outcome:
    """Apply ``events`` and save ``checkpoint`` atomically; a transient error rolls everything back.

    ``daily_from``: events before that day leave the daily totals alone (replay of pruned history).
    """
    ordered = sorted({event.event_id: event for event in events}.values(), key=lambda e: e.order_key)
    started = time.perf_counter()
    try:
        outcome = _apply(ordered, checkpoint, fence, tables, daily_from, isolate=False)
    except LeaseLostError:
        raise
    except Exception as exc:
        if is_transient(exc):
            raise
        logger.warning(
            "a batch of %d events hit a permanent error (%s); applying it account by account so that "
            "the healthy events commit",
            len(ordered),
            describe(exc),
        )
        outcome = _apply(ordered, checkpoint, fence, tables, daily_from, isolate=True)
    outcome.count_events(seen=len(ordered))
    _observe(outcome, time.perf_counter() - started)
    return outcome


def _apply(
    ordered: list[AnyEvent],
    checkpoint: CheckpointUpdate | None,
    fence: LeaderLease | None,
    tables: ReadTables,
    daily_from: date | None,
    *,
    isolate: bool,
) -> Outcome:
    outcome = Outcome(isolated=isolate)
    new_changes = partial(BatchChanges, tables, daily_from=daily_from)
    with transaction.atomic():
        if tables.live:
            share_fence()
        if fence is not None:
            fence.assert_held()
        accounts = _lock_accounts(tables, {event.aggregate_id for event in ordered})
        if isolate:
            for _, group in groupby(ordered, key=lambda e: e.aggregate_id):
                _apply_isolated(list(group), accounts, new_changes, outcome)
        else:
            changes = new_changes()
            for event in ordered:
                _gate(event, accounts, changes, outcome)
            _save(changes)
        if checkpoint is not None:
            save_checkpoint(_with_batch_facts(checkpoint, outcome.applied_events))
    return outcome


def _apply_isolated(
    group: list[AnyEvent],
    accounts: dict[uuid.UUID, AccountViewColumns | None],
    new_changes: Callable[[], BatchChanges],
    outcome: Outcome,
) -> None:
    """One aggregate's events under a savepoint; if that fails, one event at a time, in order."""
    if _try_under_savepoint(group, accounts, new_changes, outcome):
        return
    for index, event in enumerate(group):
        try:
            if _try_under_savepoint([event], accounts, new_changes, outcome, raise_error=True):
                continue
        except Exception as exc:
            if is_transient(exc) or isinstance(exc, LeaseLostError):
                raise
            logger.error("event %s cannot be applied: %s", event.event_id, describe(exc))
            outcome.errors[event.event_id] = describe(exc)
            # The later events of this aggregate must not be applied around the failing one.
            outcome.held_events += group[index + 1 :]
            return


def _try_under_savepoint(
    events: list[AnyEvent],
    accounts: dict[uuid.UUID, AccountViewColumns | None],
    new_changes: Callable[[], BatchChanges],
    outcome: Outcome,
    *,
    raise_error: bool = False,
) -> bool:
    trial = Outcome()
    aggregate_id = events[0].aggregate_id
    changes = new_changes()
    try:
        with transaction.atomic():
            for event in events:
                _gate(event, accounts, changes, trial)
            _save(changes)
    except Exception as exc:
        # The savepoint is rolled back; so must be what the projection changed in memory.
        accounts[aggregate_id] = _reload(changes.tables, aggregate_id)
        if raise_error or is_transient(exc) or isinstance(exc, LeaseLostError):
            raise
        return False
    outcome.add(trial)  # the event lists: counts are set once the whole batch is decided
    return True


def _lock_accounts(
    tables: ReadTables, account_ids: set[uuid.UUID]
) -> dict[uuid.UUID, AccountViewColumns | None]:
    if not account_ids:
        return {}
    # Locking in primary-key order keeps two concurrent appliers (projector and retry) deadlock-free.
    rows = tables.account._default_manager.select_for_update().filter(account_id__in=account_ids)
    return {row.account_id: row for row in rows.order_by("account_id")}


def _reload(tables: ReadTables, account_id: uuid.UUID) -> AccountViewColumns | None:
    return tables.account._default_manager.select_for_update().filter(account_id=account_id).first()


def _gate(
    event: AnyEvent,
    accounts: dict[uuid.UUID, AccountViewColumns | None],
    changes: BatchChanges,
    outcome: Outcome,
) -> None:
    account = accounts.get(event.aggregate_id)
    current = account.version if account is not None else 0
    if event.version <= current:
        outcome.duplicate_events.append(event)
    elif event.version > current + 1:
        outcome.held_events.append(event)
    else:
        try:
            accounts[event.aggregate_id] = project(event, account, changes)
        except ProjectionError as exc:
            outcome.errors[event.event_id] = f"ProjectionError: {exc}"
        else:
            outcome.applied_events.append(event)


def _save(changes: BatchChanges) -> None:
    save_changes(changes)  # a few hand-written statements: the ORM's bulk_update costs more than MySQL


def flag_accounts(
    flags: dict[uuid.UUID, tuple[uuid.UUID, str]], account_model: type[AccountViewColumns] = AccountView
) -> None:
    """Mark accounts as needing attention: account id → (the event at fault, why)."""
    for account_id, (event_id, reason) in flags.items():
        account_model._default_manager.filter(account_id=account_id).update(
            attention=reason[:500], attention_event_id=event_id
        )


def _with_batch_facts(checkpoint: CheckpointUpdate, applied: list[AnyEvent]) -> CheckpointUpdate:
    if not applied:
        return checkpoint
    oldest = min(event.occurred_at for event in applied)
    return CheckpointUpdate(
        resume_token=checkpoint.resume_token,
        applied=len(applied),
        lag_ms=(timezone.now() - oldest).total_seconds() * 1000,
    )


# The label of ``metrics.EVENTS`` for each count an applied batch has.
EVENT_LABELS = {"applied": "applied", "duplicates": "duplicate", "held": "held", "failed": "failed"}


def _observe(outcome: Outcome, seconds: float) -> None:
    metrics.BATCH_SECONDS.observe(seconds)
    metrics.BATCH_SIZE.observe(outcome.applied)
    for name, label in EVENT_LABELS.items():
        if count := getattr(outcome, name):
            metrics.EVENTS.labels(label).inc(count)
    now = timezone.now()
    for event in outcome.applied_events:
        metrics.LAG_SECONDS.observe(max(0.0, (now - event.occurred_at).total_seconds()))
