"""Sync engine persistence: the shadow tables of a blue/green replay — create, compare, swap, retire.

The shadow tables are created ``LIKE`` the live ones, so they have the same columns and indexes.
The swap is one ``RENAME TABLE`` statement, which MySQL and MariaDB carry out atomically: a
reader sees the old tables or the new ones, never neither (ADR 0011).
"""

from __future__ import annotations

import uuid
from datetime import date

from django.db import connection

from projector.models import PrunedHistory
from projector.shadow import LIVE, RETIRED_SUFFIX, SHADOW


def _pairs() -> list[tuple[str, str]]:
    return [
        (live._meta.db_table, shadow._meta.db_table)
        for live, shadow in zip(LIVE.models, SHADOW.models, strict=True)
    ]


def _existing_tables() -> set[str]:
    return set(connection.introspection.table_names())


def create_shadow_tables() -> None:
    """Fresh, empty shadow tables (any left over from an abandoned replay are dropped)."""
    with connection.cursor() as cursor:
        for live, shadow in _pairs():
            cursor.execute(f"DROP TABLE IF EXISTS {shadow}")
            cursor.execute(f"CREATE TABLE {shadow} LIKE {live}")


def shadow_tables_exist() -> bool:
    return {shadow for _, shadow in _pairs()} <= _existing_tables()


def retired_tables_exist() -> bool:
    return any(live + RETIRED_SUFFIX in _existing_tables() for live, _ in _pairs())


def accounts_behind_live(limit: int = 100_000) -> dict[uuid.UUID, int]:
    """Accounts whose live row is ahead of (or missing from) the shadow: account id → shadow version."""
    live, shadow = LIVE.account._meta.db_table, SHADOW.account._meta.db_table
    query = (
        f"SELECT l.account_id, COALESCE(s.version, 0) FROM {live} l "
        f"LEFT JOIN {shadow} s ON s.account_id = l.account_id "
        "WHERE s.account_id IS NULL OR l.version > s.version LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [limit])
        return {uuid.UUID(str(account_id)): int(version) for account_id, version in cursor.fetchall()}


def swap_in_shadow_tables() -> None:
    """Atomically: live tables → retired, shadow tables → live. Then drop the retired ones."""
    renames = []
    for live, shadow in _pairs():
        renames += [f"{live} TO {live}{RETIRED_SUFFIX}", f"{shadow} TO {live}"]
    drop_retired_tables()
    with connection.cursor() as cursor:
        cursor.execute("RENAME TABLE " + ", ".join(renames))
    drop_retired_tables()


def drop_retired_tables() -> None:
    with connection.cursor() as cursor:
        for live, _ in _pairs():
            cursor.execute(f"DROP TABLE IF EXISTS {live}{RETIRED_SUFFIX}")


def drop_shadow_tables() -> None:
    with connection.cursor() as cursor:
        for _, shadow in _pairs():
            cursor.execute(f"DROP TABLE IF EXISTS {shadow}")


def carry_over_pruned_history(boundary: date) -> None:
    """Seed the shadow tables with what pruned events left in the live ones (ADR 0012).

    Daily totals of the days before ``boundary`` are copied whole; each account pruned through
    version m is seeded as it stood at m (balance after its last ledger line up to m), with its
    ledger lines up to m. Its remaining events are then replayed on top.
    """
    account, ledger, daily = (model._meta.db_table for model in LIVE.models)
    pruned = PrunedHistory._meta.db_table
    shadow_account, shadow_ledger, shadow_daily = (model._meta.db_table for model in SHADOW.models)
    whole = "l.version = p.through_version"
    statements = [
        (f"INSERT INTO {shadow_daily} SELECT * FROM {daily} WHERE day < %s", [boundary]),
        (
            f"INSERT INTO {shadow_account} (account_id, owner, currency, balance, status, version, "
            "opened_at, updated_at, closed_at, attention, attention_event_id) "
            f"SELECT l.account_id, l.owner, l.currency, "
            f"CASE WHEN {whole} THEN l.balance ELSE COALESCE(m.balance_after, 0) END, "
            f"CASE WHEN {whole} THEN l.status ELSE 'open' END, p.through_version, l.opened_at, "
            f"CASE WHEN {whole} THEN l.updated_at ELSE COALESCE(m.occurred_at, l.opened_at) END, "
            f"CASE WHEN {whole} THEN l.closed_at END, CASE WHEN {whole} THEN l.attention ELSE '' END, "
            f"CASE WHEN {whole} THEN l.attention_event_id END "
            f"FROM {account} l JOIN {pruned} p ON p.account_id = l.account_id "
            f"LEFT JOIN {ledger} m ON m.account_id = l.account_id AND m.aggregate_version = "
            f"(SELECT MAX(x.aggregate_version) FROM {ledger} x "
            "WHERE x.account_id = l.account_id AND x.aggregate_version <= p.through_version)",
            [],
        ),
        (
            f"INSERT INTO {shadow_ledger} SELECT g.* FROM {ledger} g JOIN {pruned} p "
            "ON p.account_id = g.account_id WHERE g.aggregate_version <= p.through_version",
            [],
        ),
    ]
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
