"""Sync engine: how each event type changes the read models (account view, ledger, daily totals),
and how one batch's changes are written.

Projecting is pure in-memory decisions on ORM instances, one small function per payload type;
``apply.py`` loads and locks the rows, then ``save_changes`` writes what changed in a few
hand-written statements (ADR 0019). The write side is the authority on balances: the view takes
``balance_after`` from the event, and a disagreement with its own arithmetic is logged
(``reconcile`` reports and repairs drift).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache, partial, singledispatch
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from accounts_read.models import (
    AccountStatus,
    AccountViewColumns,
    DailyTotalColumns,
    LedgerEntryType,
    LedgerLineColumns,
)
from accounts_write.contract import (
    AccountClosedPayload,
    AccountOpenedPayload,
    AnyEvent,
    FundsDepositedPayload,
    FundsWithdrawnPayload,
    Payload,
    PublishedEvent,
    SkippedEvent,
    TransferReceivedPayload,
    TransferSentPayload,
)
from projector.shadow import LIVE, ReadTables

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")


class ProjectionError(ValueError):
    """The event cannot be applied to the account as the read side knows it."""


@dataclass
class DailyDelta:
    deposited: Decimal = ZERO
    withdrawn: Decimal = ZERO
    transferred: Decimal = ZERO
    deposit_count: int = 0
    withdrawal_count: int = 0
    transfer_count: int = 0
    accounts_opened: int = 0
    accounts_closed: int = 0


@dataclass
class BatchChanges:
    """Everything one batch changes, written to ``tables`` by ``save_changes`` in the batch's transaction."""

    tables: ReadTables = LIVE
    new_accounts: dict[uuid.UUID, AccountViewColumns] = field(default_factory=dict)
    changed_accounts: dict[uuid.UUID, AccountViewColumns] = field(default_factory=dict)
    ledger_lines: list[LedgerLineColumns] = field(default_factory=list)
    daily: dict[tuple[date, str], DailyDelta] = field(default_factory=dict)

    # Days before this are carried over whole from the live tables (pruned history): not added to.
    daily_from: date | None = None

    def daily_delta(self, day: date, currency: str) -> DailyDelta:
        if self.daily_from is not None and day < self.daily_from:
            return DailyDelta()  # counted in the carried-over total already
        return self.daily.setdefault((day, currency), DailyDelta())

    def changed(self, account: AccountViewColumns) -> None:
        if account.account_id not in self.new_accounts:
            self.changed_accounts[account.account_id] = account


def project(event: AnyEvent, account: AccountViewColumns | None, changes: BatchChanges) -> AccountViewColumns:
    """Apply one in-order event; return the account view as it is afterwards."""
    if isinstance(event, SkippedEvent):
        return _skip(event, account, changes)
    if isinstance(event.payload, AccountOpenedPayload):
        return _open(event, event.payload, account, changes)
    if account is None:
        raise ProjectionError(f"{event.event_type} for account {event.aggregate_id} that was never opened")
    _project(event.payload, event, account, changes)
    account.version = event.version
    account.updated_at = event.occurred_at
    if account.attention_event_id == event.event_id:
        # The dead letter that flagged this account has now been applied: nothing is missing.
        account.attention, account.attention_event_id = "", None
    changes.changed(account)
    return account


def _skip(
    event: SkippedEvent, account: AccountViewColumns | None, changes: BatchChanges
) -> AccountViewColumns:
    """Consume the version with no effect, and flag the account: its read state lacks an event."""
    attention = event.attention[:500]
    if account is None:
        # The skipped event opened the account: keep a row so that its later events can follow.
        view = changes.tables.account(
            account_id=event.aggregate_id,
            owner="",
            currency="",
            balance=ZERO,
            status=AccountStatus.OPEN,
            version=event.version,
            opened_at=event.occurred_at,
            updated_at=event.occurred_at,
            closed_at=None,
            attention=attention,
            attention_event_id=event.event_id,
        )
        changes.new_accounts[view.account_id] = view
        return view
    account.version = event.version
    account.updated_at = event.occurred_at
    account.attention, account.attention_event_id = attention, event.event_id
    changes.changed(account)
    return account


def _open(
    event: PublishedEvent,
    payload: AccountOpenedPayload,
    account: AccountViewColumns | None,
    changes: BatchChanges,
) -> AccountViewColumns:
    if account is not None:
        raise ProjectionError(f"account {event.aggregate_id} is already open")
    view = changes.tables.account(
        account_id=event.aggregate_id,
        owner=payload.owner,
        currency=payload.currency,
        balance=ZERO,
        status=AccountStatus.OPEN,
        version=event.version,
        opened_at=event.occurred_at,
        updated_at=event.occurred_at,
        closed_at=None,
    )
    changes.new_accounts[view.account_id] = view
    changes.daily_delta(event.occurred_at.date(), view.currency).accounts_opened += 1
    return view


# One projection per payload type, for an account that exists (opening is ``_open`` above).

MoneyMoved = FundsDepositedPayload | FundsWithdrawnPayload | TransferSentPayload | TransferReceivedPayload


@singledispatch
def _project(
    payload: Payload, event: PublishedEvent, account: AccountViewColumns, changes: BatchChanges
) -> None:
    raise ProjectionError(f"{event.event_type} {event.event_id} has no projection for an open account")


@_project.register
def _deposited(
    payload: FundsDepositedPayload, event: PublishedEvent, account: AccountViewColumns, changes: BatchChanges
) -> None:
    _move_money(event, payload, account, changes, LedgerEntryType.DEPOSIT, +1)
    delta = changes.daily_delta(event.occurred_at.date(), account.currency)
    delta.deposited += payload.amount
    delta.deposit_count += 1


@_project.register
def _withdrawn(
    payload: FundsWithdrawnPayload, event: PublishedEvent, account: AccountViewColumns, changes: BatchChanges
) -> None:
    _move_money(event, payload, account, changes, LedgerEntryType.WITHDRAWAL, -1)
    delta = changes.daily_delta(event.occurred_at.date(), account.currency)
    delta.withdrawn += payload.amount
    delta.withdrawal_count += 1


@_project.register
def _transfer_sent(
    payload: TransferSentPayload, event: PublishedEvent, account: AccountViewColumns, changes: BatchChanges
) -> None:
    _move_money(
        event,
        payload,
        account,
        changes,
        LedgerEntryType.TRANSFER_OUT,
        -1,
        payload.to_account,
        payload.transfer_id,
    )
    delta = changes.daily_delta(event.occurred_at.date(), account.currency)
    delta.transferred += payload.amount
    delta.transfer_count += 1


@_project.register
def _transfer_received(
    payload: TransferReceivedPayload,
    event: PublishedEvent,
    account: AccountViewColumns,
    changes: BatchChanges,
) -> None:
    _move_money(
        event,
        payload,
        account,
        changes,
        LedgerEntryType.TRANSFER_IN,
        +1,
        payload.from_account,
        payload.transfer_id,
    )


@_project.register
def _closed(
    payload: AccountClosedPayload, event: PublishedEvent, account: AccountViewColumns, changes: BatchChanges
) -> None:
    if account.status == AccountStatus.CLOSED:
        raise ProjectionError(f"account {account.account_id} is already closed")
    account.status = AccountStatus.CLOSED
    account.closed_at = event.occurred_at
    changes.daily_delta(event.occurred_at.date(), account.currency).accounts_closed += 1


def _move_money(
    event: PublishedEvent,
    payload: MoneyMoved,
    account: AccountViewColumns,
    changes: BatchChanges,
    entry_type: LedgerEntryType,
    sign: int,
    counterparty_id: uuid.UUID | None = None,
    transfer_id: uuid.UUID | None = None,
) -> None:
    """The ledger line and the balance; the write side's ``balance_after`` wins over our arithmetic."""
    if account.status == AccountStatus.CLOSED:
        raise ProjectionError(f"{event.event_type} {event.event_id} on closed account {account.account_id}")
    signed = payload.amount * sign
    expected = account.balance + signed
    if expected != payload.balance_after:
        logger.warning(
            "balance drift on %s: read side computes %s, event %s says %s",
            account.account_id,
            expected,
            event.event_id,
            payload.balance_after,
        )
    account.balance = payload.balance_after
    changes.ledger_lines.append(
        changes.tables.ledger(  # type: ignore[misc]  # each concrete ledger model has its account
            event_id=event.event_id,
            account=account,
            aggregate_version=event.version,
            entry_type=entry_type,
            amount=signed,
            balance_after=payload.balance_after,
            counterparty_id=counterparty_id,
            transfer_id=transfer_id,
            occurred_at=event.occurred_at,
        )
    )


def contribution(
    account: AccountViewColumns, lines: Sequence[LedgerLineColumns], daily_from: date | None = None
) -> BatchChanges:
    """What projecting this account added to the daily totals (mirror of the handlers above).

    Re-projecting one account subtracts this first, then applies its events afresh. Days before
    ``daily_from`` are left out (pruned history: their totals are carried over, not rebuilt).
    """
    changes = BatchChanges(daily_from=daily_from)
    if account.currency:
        changes.daily_delta(account.opened_at.date(), account.currency).accounts_opened += 1
        if account.status == AccountStatus.CLOSED and account.closed_at is not None:
            changes.daily_delta(account.closed_at.date(), account.currency).accounts_closed += 1
    for line in lines:
        delta = changes.daily_delta(line.occurred_at.date(), account.currency)
        if line.entry_type == LedgerEntryType.DEPOSIT:
            delta.deposited += line.amount
            delta.deposit_count += 1
        elif line.entry_type == LedgerEntryType.WITHDRAWAL:
            delta.withdrawn -= line.amount
            delta.withdrawal_count += 1
        elif line.entry_type == LedgerEntryType.TRANSFER_OUT:
            delta.transferred -= line.amount
            delta.transfer_count += 1
    return changes


# --- writing: one batch's changes in a few hand-written statements -----------------------------
# Called by ``apply_events`` inside its transaction, after the version gate decided what changes.
# The ORM's ``bulk_update`` builds a CASE expression tree per field and row, which costs more than
# the database work, and MySQL scans that CASE list per row (ADR 0019). Here each kind of change is
# one statement whatever the batch size: a multi-row INSERT for new accounts, an UPDATE joined to
# the new values for changed accounts, a multi-row INSERT for ledger lines, and an UPDATE (or
# INSERT) per day and currency of totals. Values go through each model field's own
# ``get_db_prep_value``, as the ORM would send them.


def _columns_of(model: type[Model], *, leave_out: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The model's columns by attname, its auto-increment key left out (MySQL numbers the rows)."""
    return tuple(
        field.attname
        for field in model._meta.concrete_fields
        if not (field.primary_key and field.get_internal_type().endswith("AutoField"))
        and field.attname not in leave_out
    )


# Derived from the live models (a replay's shadow tables have the same columns) and from DailyDelta.
ACCOUNT_INSERT = _columns_of(LIVE.account)
# What an event can change; the rest is set once, when the account is opened.
ACCOUNT_UPDATE = _columns_of(
    LIVE.account, leave_out=frozenset({"account_id", "owner", "currency", "opened_at"})
)
LEDGER_INSERT = _columns_of(LIVE.ledger)
DAILY_COUNTERS = tuple(counter.name for counter in dataclasses.fields(DailyDelta))


def save_changes(changes: BatchChanges) -> None:
    """Write ``changes``; call it inside the batch's transaction (the rows are already locked)."""
    # The connection itself, not the thread-local proxy: values are prepared tens of thousands
    # of times per catch-up, and each proxy access is a thread-local lookup.
    database = connections[DEFAULT_DB_ALIAS]
    tables = changes.tables  # the live read models, or a replay's shadow tables
    with database.cursor() as cursor:
        if changes.new_accounts:
            _insert(cursor, database, tables.account, ACCOUNT_INSERT, changes.new_accounts.values())
        if changes.changed_accounts:
            _update_accounts(cursor, database, tables.account, list(changes.changed_accounts.values()))
        if changes.ledger_lines:
            _insert(cursor, database, tables.ledger, LEDGER_INSERT, changes.ledger_lines)
        for (day, currency), delta in sorted(changes.daily.items()):
            _add_daily(cursor, database, tables.daily, day, currency, delta)


@cache
def _field(model: type[Model], attname: str) -> Field[Any, Any]:
    return next(field for field in model._meta.concrete_fields if field.attname == attname)


def _column(
    database: BaseDatabaseWrapper, model: type[Model], attname: str
) -> tuple[str, Callable[[Any], Any]]:
    """The quoted column name and a function preparing a value for it, as the ORM would."""
    model_field = _field(model, attname)
    prepare = partial(model_field.get_db_prep_value, connection=database, prepared=False)
    return database.ops.quote_name(model_field.column), prepare


def _insert(
    cursor: Any,
    database: BaseDatabaseWrapper,
    model: type[Model],
    attnames: Sequence[str],
    rows: Iterable[Model],
) -> None:
    columns = [_column(database, model, name) for name in attnames]
    table = database.ops.quote_name(model._meta.db_table)
    names = ", ".join(column for column, _ in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    values = [
        [prepare(getattr(row, name)) for name, (_, prepare) in zip(attnames, columns, strict=True)]
        for row in rows
    ]
    # MySQLdb turns executemany of one INSERT … VALUES into a single multi-row statement.
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", values)  # noqa: S608


def _update_accounts(
    cursor: Any,
    database: BaseDatabaseWrapper,
    model: type[AccountViewColumns],
    accounts: list[AccountViewColumns],
) -> None:
    """One UPDATE joined to the new values (a derived table of UNION ALL rows), by primary key.

    Linear in the batch, unlike UPDATE … CASE (each row scans the CASE list: quadratic), and the
    same SQL on MySQL and MariaDB (their row-constructor syntaxes differ).
    """
    key_column, prepare_key = _column(database, model, "account_id")
    columns = [_column(database, model, name) for name in ACCOUNT_UPDATE]
    aliases = [f"v{index}" for index in range(len(columns))]
    row = "SELECT %s AS k, " + ", ".join(f"%s AS {alias}" for alias in aliases)
    params: list[Any] = []
    for account in accounts:
        params.append(prepare_key(account.account_id))
        params += [
            prepare(getattr(account, name))
            for name, (_, prepare) in zip(ACCOUNT_UPDATE, columns, strict=True)
        ]
    table = database.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"t.{column} = n.{alias}" for (column, _), alias in zip(columns, aliases, strict=True))
    cursor.execute(
        f"UPDATE {table} t JOIN ({' UNION ALL '.join([row] * len(accounts))}) n "  # noqa: S608
        f"ON t.{key_column} = n.k SET {sets}",
        params,
    )


def _add_daily(
    cursor: Any,
    database: BaseDatabaseWrapper,
    model: type[DailyTotalColumns],
    day: Any,
    currency: str,
    delta: DailyDelta,
) -> None:
    table = database.ops.quote_name(model._meta.db_table)
    counters = [_column(database, model, name) for name in DAILY_COUNTERS]
    increments = [
        prepare(getattr(delta, name)) for name, (_, prepare) in zip(DAILY_COUNTERS, counters, strict=True)
    ]
    day_column, prepare_day = _column(database, model, "day")
    currency_column, _ = _column(database, model, "currency")
    sets = ", ".join(f"{column} = {column} + %s" for column, _ in counters)
    cursor.execute(
        f"UPDATE {table} SET {sets} WHERE {day_column} = %s AND {currency_column} = %s",  # noqa: S608
        [*increments, prepare_day(day), currency],
    )
    if cursor.rowcount == 0:  # the first change of this day and currency
        names = ", ".join([day_column, currency_column, *(column for column, _ in counters)])
        placeholders = ", ".join(["%s"] * (2 + len(counters)))
        cursor.execute(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608
            [prepare_day(day), currency, *increments],
        )
