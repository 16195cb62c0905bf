"""Sync engine persistence: the read-model fence — appliers share it, a replay's swap takes it alone.

Every transaction that writes the live read models first share-locks one fence row; share locks
do not block each other, so appliers run side by side as before. A full replay, about to swap its
shadow tables in, locks the row exclusively from a connection of its own: it waits for the
appliers in flight to commit, and new ones wait at their first statement until the swap is done,
so no projection is ever applied to tables that are about to be retired (ADR 0011).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, connections, transaction

from projector.models import ReadModelFence

FENCE = "read-models"


def share_fence() -> None:
    """Inside an applier's transaction: share-lock the fence (waits while a swap holds it)."""
    table = ReadModelFence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name FROM {table} WHERE name = %s LOCK IN SHARE MODE", [FENCE])  # noqa: S608
        if cursor.fetchone() is None:
            ReadModelFence.objects.get_or_create(name=FENCE)
            cursor.execute(f"SELECT name FROM {table} WHERE name = %s LOCK IN SHARE MODE", [FENCE])  # noqa: S608


@contextmanager
def exclusive_fence(timeout: float = 60.0) -> Iterator[None]:
    """Hold the fence exclusively for the ``with`` block, from a separate connection (a thread).

    The caller's own connection stays free for the work done under the fence (the swap's DDL).
    """
    ReadModelFence.objects.get_or_create(name=FENCE)
    locked = threading.Event()
    release = threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                ReadModelFence.objects.select_for_update().get(name=FENCE)
                locked.set()
                release.wait()
        except BaseException as exc:  # handed to the caller, which re-raises it
            failure.append(exc)
            locked.set()
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold, name="read-model-fence", daemon=True)
    holder.start()
    if not locked.wait(timeout) or failure:
        release.set()
        holder.join(timeout)
        if failure:
            raise failure[0]
        raise TimeoutError(f"could not take the read-model fence within {timeout:.0f} s")
    try:
        yield
    finally:
        release.set()
        holder.join(timeout)
