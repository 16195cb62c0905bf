"""Sync engine persistence: one batch's changes to the read models, in a few hand-written statements.

Called by ``apply_events`` inside its transaction, after the version gate decided what changes.
The ORM's ``bulk_update`` builds a CASE expression tree per field and row, which costs more
than the database work, and MySQL scans that CASE list per row (ADR 0019). Here each kind of
change is one statement whatever the batch size: a multi-row INSERT for new accounts, an UPDATE
joined to the new values for changed accounts, a multi-row INSERT for ledger lines, and an
UPDATE (or INSERT) per day and currency of totals. Values go through each model field's own
``get_db_prep_value``, as the ORM would send them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache, partial
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from accounts_read.models import AccountViewColumns, DailyTotalColumns
from projector.projections import BatchChanges, DailyDelta

ACCOUNT_INSERT = (
    "account_id",
    "owner",
    "currency",
    "balance",
    "status",
    "version",
    "opened_at",
    "updated_at",
    "closed_at",
    "attention",
    "attention_event_id",
)
ACCOUNT_UPDATE = (
    "balance",
    "status",
    "version",
    "updated_at",
    "closed_at",
    "attention",
    "attention_event_id",
)
LEDGER_INSERT = (
    "event_id",
    "account_id",
    "aggregate_version",
    "entry_type",
    "amount",
    "balance_after",
    "counterparty_id",
    "transfer_id",
    "occurred_at",
)
DAILY_COUNTERS = (
    "deposited",
    "withdrawn",
    "transferred",
    "deposit_count",
    "withdrawal_count",
    "transfer_count",
    "accounts_opened",
    "accounts_closed",
)


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
    field = _field(model, attname)
    prepare = partial(field.get_db_prep_value, connection=database, prepared=False)
    return database.ops.quote_name(field.column), prepare


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
