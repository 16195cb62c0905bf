"""Sync engine persistence: the shadow tables of a blue/green replay — create, compare, swap, retire.

The shadow tables are created ``LIKE`` the live ones, so they have the same columns and indexes.
The swap is one ``RENAME TABLE`` statement, which MySQL and MariaDB carry out atomically: a
reader sees the old tables or the new ones, never neither (ADR 0011).
"""

from __future__ import annotations

import uuid

from django.db import connection

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
        f"SELECT l.account_id, COALESCE(s.version, 0) FROM {live} l "  # noqa: S608
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
