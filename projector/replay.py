"""Sync engine service: replay — rebuild the read models from the outbox events kept in MongoDB.

``rebuild_accounts`` re-projects chosen accounts in place, each in one transaction (readers see
the old row or the new one). ``full_replay`` is blue/green: it builds everything into shadow
tables while the live ones keep serving, catches the shadow up with what the live projector
applied meanwhile, then — holding the read-model fence so no applier is half way through —
catches up the last few accounts and swaps the tables in with one ``RENAME TABLE``. Its progress
is committed with every batch, so a replay killed at any point resumes where it was (ADR 0011).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts_read.models import AccountStatus, AccountView, DailyTotal, LedgerLine
from accounts_write.contract import AnyEvent, EventDecodeError, OutboxField, decode_entry
from projector import bluegreen, prune
from projector.apply import Outcome, apply_events, flag_accounts
from projector.delivery import dead_letter_flags
from projector.leader import exclusive_fence, share_fence
from projector.models import PrunedHistory, ReplayRun, ReplayState
from projector.outbox import Document, OutboxStore
from projector.projections import DAILY_COUNTERS, contribution
from projector.reading import chunks, read_ahead
from projector.shadow import LIVE, SHADOW, ReadTables

logger = logging.getLogger(__name__)


def replay_lock_name() -> str:
    """The MySQL named lock of a replay. Named locks are server-wide: the database's name is part of
    it, so replays of two databases on one server do not exclude each other."""
    return f"cqrs-sync:{connection.settings_dict['NAME']}:replay"


# The final catch-up runs under the fence (appliers wait); before it, catch up until this few remain.
FENCED_CATCH_UP_AT_MOST = 200
CATCH_UP_ROUNDS = 5

Progress = Callable[[int], None]


class ReplayBusyError(RuntimeError):
    """Another replay is running (it holds the replay lock)."""


@dataclass
class RebuildReport:
    accounts: int = 0
    events: int = 0
    applied: int = 0
    failed: int = 0


# --- one account (or a few) in place ------------------------------------------------------------


def rebuild_accounts(
    outbox: OutboxStore, account_ids: Iterable[uuid.UUID], *, progress: Progress | None = None
) -> RebuildReport:
    """Re-project each account from its kept events, in place, one transaction per account."""
    report = RebuildReport()
    daily_from = _daily_from()
    for account_id in account_ids:
        documents = outbox.history([account_id])
        with transaction.atomic():
            share_fence()
            _forget_account(account_id, daily_from)
            applied = _apply_documents(documents, LIVE, daily_from)
        _flag_dead_letters(outbox, [account_id], LIVE)
        report.accounts += 1
        report.events += len(documents)
        report.applied += applied.applied
        report.failed += len(documents) - applied.applied - applied.duplicates
        if progress is not None:
            progress(len(documents))
    return report


def _forget_account(account_id: uuid.UUID, daily_from: date | None) -> None:
    """Take the account back to before its kept events (inside the caller's transaction).

    Its rows and its share of the daily totals go; an account whose early events were pruned is
    taken back to where its pruned history ended, which no event can rebuild (ADR 0012).
    """
    view = AccountView.objects.select_for_update().filter(account_id=account_id).first()
    if view is None:
        return
    pruned = PrunedHistory.objects.filter(account_id=account_id).first()
    through = pruned.through_version if pruned is not None else 0
    lines = list(LedgerLine.objects.filter(account_id=account_id, aggregate_version__gt=through))
    for (day, currency), delta in sorted(contribution(view, lines, daily_from).daily.items()):
        decrements = {name: Greatest(F(name) - getattr(delta, name), 0) for name in DAILY_COUNTERS}
        DailyTotal.objects.filter(day=day, currency=currency).update(**decrements)
    LedgerLine.objects.filter(account_id=account_id, aggregate_version__gt=through).delete()
    if not through:
        view.delete()
    elif view.version > through:
        last = LedgerLine.objects.filter(account_id=account_id).order_by("-aggregate_version").first()
        view.balance = last.balance_after if last is not None else Decimal("0.00")
        view.updated_at = last.occurred_at if last is not None else view.opened_at
        view.version, view.status, view.closed_at = through, AccountStatus.OPEN, None
        view.attention, view.attention_event_id = "", None
        view.save()


def _daily_from() -> date | None:
    boundary = prune.daily_boundary()
    return boundary.date() if boundary is not None else None


def _apply_documents(documents: list[Document], tables: ReadTables, daily_from: date | None) -> Outcome:
    events: list[AnyEvent] = []
    for document in documents:
        try:
            events.append(decode_entry(document))
        except EventDecodeError as exc:
            logger.warning("replay: outbox entry %s is not a valid event: %s", document.get("_id"), exc)
    return apply_events(events, tables=tables, daily_from=daily_from)


def _flag_dead_letters(outbox: OutboxStore, account_ids: list[uuid.UUID], tables: ReadTables) -> None:
    """A dead letter's account is flagged by the delivery, not the projection: flag it again."""
    wanted = set(account_ids)
    dead = [(doc, str(doc.get(OutboxField.LAST_ERROR))) for doc in outbox.dead_letters()]
    flags = dead_letter_flags(
        [(doc, error) for doc, error in dead if doc.get(OutboxField.AGGREGATE_ID) in wanted]
    )
    if flags:
        flag_accounts(flags, tables.account)


# --- everything, blue/green --------------------------------------------------------------------


def full_replay(
    outbox: OutboxStore, *, started_by: str, batch_size: int = 1000, progress: Progress | None = None
) -> ReplayRun:
    """Rebuild every read model into shadow tables and swap them in; resume a killed replay."""
    with _replay_lock():
        run = _resumable_run() or _start_run(started_by)
        if run.state == ReplayState.BUILDING:
            _build(outbox, run, batch_size, progress)
        if bluegreen.shadow_tables_exist():
            _catch_up_and_swap(outbox, run)
        _finish(run)
    return run


def _resumable_run() -> ReplayRun | None:
    run = ReplayRun.objects.filter(state__in=[ReplayState.BUILDING, ReplayState.CATCHING_UP]).first()
    if run is None:
        return None
    if run.state == ReplayState.BUILDING and not bluegreen.shadow_tables_exist():
        run.state, run.error = (
            ReplayState.FAILED,
            "its shadow tables are gone; a new replay starts from scratch",
        )
        run.save(update_fields=["state", "error"])
        return None
    logger.info("resuming replay %s (%s, %d events applied)", run.pk, run.state, run.events_applied)
    return run


def _start_run(started_by: str) -> ReplayRun:
    now = timezone.now()
    bluegreen.create_shadow_tables()
    daily_from = _daily_from()
    if daily_from is not None:
        bluegreen.carry_over_pruned_history(daily_from)
    return ReplayRun.objects.create(
        started_at=now, updated_at=now, state=ReplayState.BUILDING, started_by=started_by
    )


def _build(outbox: OutboxStore, run: ReplayRun, batch_size: int, progress: Progress | None) -> None:
    documents = outbox.everything(from_aggregate=run.position, batch_size=batch_size)
    daily_from = _daily_from()
    for chunk in read_ahead(chunks(documents, batch_size)):
        with transaction.atomic():
            report = _apply_documents(chunk, SHADOW, daily_from)
            ReplayRun.objects.filter(pk=run.pk).update(
                position=chunk[-1][OutboxField.AGGREGATE_ID],
                events_seen=F("events_seen") + len(chunk),
                events_applied=F("events_applied") + report.applied,
                updated_at=timezone.now(),
            )
        if progress is not None:
            progress(len(chunk))
    run.refresh_from_db()
    run.state = ReplayState.CATCHING_UP
    run.save(update_fields=["state"])


def _catch_up_and_swap(outbox: OutboxStore, run: ReplayRun) -> None:
    """Apply to the shadow what the live projector applied meanwhile; the last bit under the fence."""
    for _ in range(CATCH_UP_ROUNDS):
        if _catch_up(outbox, run) <= FENCED_CATCH_UP_AT_MOST:
            break
    with exclusive_fence():
        _catch_up(outbox, run)
        behind = bluegreen.accounts_behind_live(limit=1)
        if behind:
            raise RuntimeError(f"the shadow tables are still behind the live ones for {list(behind)}")
        _flag_dead_letters(outbox, _dead_letter_accounts(outbox), SHADOW)
        bluegreen.swap_in_shadow_tables()
    logger.info("replay %s: shadow tables swapped in", run.pk)


def _catch_up(outbox: OutboxStore, run: ReplayRun) -> int:
    behind = bluegreen.accounts_behind_live()
    if behind:
        documents = outbox.history(list(behind), after_versions=behind)
        with transaction.atomic():
            report = _apply_documents(documents, SHADOW, _daily_from())
        ReplayRun.objects.filter(pk=run.pk).update(
            events_applied=F("events_applied") + report.applied, updated_at=timezone.now()
        )
    return len(behind)


def _dead_letter_accounts(outbox: OutboxStore) -> list[uuid.UUID]:
    return [
        doc[OutboxField.AGGREGATE_ID]
        for doc in outbox.dead_letters()
        if isinstance(doc.get(OutboxField.AGGREGATE_ID), uuid.UUID)
    ]


def _finish(run: ReplayRun) -> None:
    bluegreen.drop_retired_tables()
    now = timezone.now()
    ReplayRun.objects.filter(pk=run.pk).update(state=ReplayState.DONE, finished_at=now, updated_at=now)
    run.refresh_from_db()


class _replay_lock:  # noqa: N801 - a context manager used like a function
    """A MySQL named lock: one replay at a time; released by the server if the process dies."""

    def __enter__(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, 0)", [replay_lock_name()])
            (got,) = cursor.fetchone() or (0,)
        if got != 1:
            raise ReplayBusyError("another replay is running (it holds the replay lock)")

    def __exit__(self, *exc: object) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT RELEASE_LOCK(%s)", [replay_lock_name()])
