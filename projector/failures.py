"""Sync engine: tell a transient failure (retry later) from a permanent one (counts toward dead).

Transient: the read database is unreachable, restarting, or refused a lock for now (connection
lost, lock wait timeout, deadlock); retrying the same batch later will work, so it never counts
toward ``dead`` and never blames one event. Permanent: the event itself cannot be applied as it
is (data too large for a column, unknown type, a projection rule broken, schema mismatch); it
will fail the same way every time, so it is isolated from its batch and counts toward ``dead``.
"""

from __future__ import annotations

from django.db import DatabaseError, InterfaceError

# MySQL/MariaDB error numbers after which the same statement can succeed later.
TRANSIENT_MYSQL_ERRORS = frozenset(
    {
        1040,  # too many connections
        1053,  # server shutdown in progress
        1205,  # lock wait timeout exceeded
        1213,  # deadlock found; the transaction was rolled back
        1317,  # query execution was interrupted
        1290,  # running with --read-only (a failover in progress)
        1836,  # running in read-only mode
        1927,  # connection was killed (MariaDB)
        2002,  # can't connect through socket
        2003,  # can't connect to server
        2006,  # server has gone away
        2013,  # lost connection during query
        2026,  # TLS connection error
        2055,  # lost connection at a system call
        4031,  # disconnected by the server because of inactivity
    }
)


def mysql_error_number(exc: BaseException) -> int | None:
    """The MySQL error number of a (Django-wrapped) driver error, if it carries one."""
    for candidate in (exc, exc.__cause__):
        args = getattr(candidate, "args", ())
        if args and isinstance(args[0], int):
            return int(args[0])
    return None


def is_transient(exc: BaseException) -> bool:
    """True when retrying later can succeed: the read database, not the event, is the problem."""
    if isinstance(exc, InterfaceError):
        return True  # the connection is closed or unusable
    if not isinstance(exc, DatabaseError):
        return False
    number = mysql_error_number(exc)
    return number in TRANSIENT_MYSQL_ERRORS


def describe(exc: BaseException) -> str:
    """One line for ``last_error`` and logs: the class, the MySQL error number if any, the message."""
    return f"{exc.__class__.__name__}: {exc}"
