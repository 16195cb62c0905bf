"""Fault-test helper: freeze a process (or its link) at a moment it holds row locks in an open transaction."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

# A transaction that holds locks while its session sits idle between statements: its client is
# not talking (frozen, or its link is). Seen twice in a row, it is not a passing moment.
IDLE_TRANSACTIONS_WITH_LOCKS = """
    SELECT trx.trx_id, trx.trx_mysql_thread_id
    FROM information_schema.INNODB_TRX trx
    JOIN information_schema.PROCESSLIST session ON session.ID = trx.trx_mysql_thread_id
    WHERE trx.trx_state = 'RUNNING' AND trx.trx_lock_structs > 0 AND session.COMMAND = 'Sleep'
"""


def idle_transactions_with_locks(cursor: Any, session: int | None = None) -> set[tuple[Any, int]]:
    """(transaction id, session id) of every transaction holding locks while its session is idle
    (only those of ``session`` when given)."""
    cursor.execute(IDLE_TRANSACTIONS_WITH_LOCKS)
    found = {(row[0], int(row[1])) for row in cursor.fetchall()}
    return {entry for entry in found if session is None or entry[1] == session}


def freeze_inside_a_transaction(
    freeze: Callable[[], None],
    thaw: Callable[[], None],
    cursor: Any,
    *,
    session: Callable[[], int | None] | None = None,
    attempts: int = 400,
    seed: int = 0,
) -> int:
    """Freeze, and keep the freeze only if it caught an open transaction holding locks (of the
    session ``session()`` names, when given); else thaw and try again a moment later. Returns the
    MySQL session id of the transaction left hanging."""
    rng = random.Random(seed)
    for _ in range(attempts):
        target = session() if session is not None else None
        freeze()
        time.sleep(0.05)
        first = idle_transactions_with_locks(cursor, target)
        if first and (session is None or target is not None):
            time.sleep(0.1)
            caught = first & idle_transactions_with_locks(cursor, target)
            if caught:
                return next(iter(caught))[1]
        thaw()
        time.sleep(rng.uniform(0.005, 0.06))
    raise AssertionError(f"never caught the process inside a transaction in {attempts} attempts")
