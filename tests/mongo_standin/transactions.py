"""Stand-in transactions: logical sessions and the txnNumber / transaction state machine."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from bson import Binary

from tests.mongo_standin.errors import CommandError, NoSuchTransactionError

if TYPE_CHECKING:
    from tests.mongo_standin.storage import Collection

TRANSACTION_LIFETIME_SECONDS = 60.0
IdKey = Any
Namespace = tuple[str, str]


class Transaction:
    """Uncommitted writes of one transaction, read at the snapshot taken by its first statement."""

    ACTIVE, COMMITTED, ABORTED = "active", "committed", "aborted"

    def __init__(self, session: Session, number: int, snapshot: int) -> None:
        self.session = session
        self.number = number
        self.snapshot = snapshot
        self.state = self.ACTIVE
        self.started = time.monotonic()
        # Latest uncommitted state per document (None = deleted), and the change log for events.
        self.overlay: dict[Namespace, dict[IdKey, dict[str, Any] | None]] = {}
        self.changes: list[dict[str, Any]] = []
        self.locked: set[tuple[Namespace, IdKey]] = set()
        self.unique_locks: set[tuple[Namespace, str, Any]] = set()
        self.commit_reply: dict[str, Any] | None = None
        # Collections (and their indexes) this transaction creates: visible to others only on commit.
        self.created: dict[Namespace, Collection] = {}

    @property
    def expired(self) -> bool:
        return time.monotonic() - self.started > TRANSACTION_LIFETIME_SECONDS

    def overlay_for(self, namespace: Namespace) -> dict[IdKey, dict[str, Any] | None]:
        return self.overlay.setdefault(namespace, {})


class Session:
    """Server-side state of one lsid: its newest txnNumber, transaction and retryable-write replies."""

    def __init__(self, lsid: dict[str, Any]) -> None:
        self.lsid = lsid
        self.key = session_key(lsid)
        self.txn_number = -1
        self.txn: Transaction | None = None
        self.retry_replies: dict[int, dict[str, Any]] = {}


def session_key(lsid: Any) -> bytes:
    if not isinstance(lsid, dict) or not isinstance(lsid.get("id"), Binary):
        raise CommandError("lsid must be an object with a binary id", code=40414)
    return bytes(lsid["id"]) + bytes(lsid.get("uid", b""))


class SessionRegistry:
    def __init__(self) -> None:
        self.sessions: dict[bytes, Session] = {}

    def get(self, lsid: dict[str, Any]) -> Session:
        key = session_key(lsid)
        session = self.sessions.get(key)
        if session is None:
            session = self.sessions[key] = Session(lsid)
        return session

    def end(self, lsid: Any) -> Session | None:
        try:
            return self.sessions.pop(session_key(lsid), None)
        except CommandError:
            return None


def no_such_transaction(session: Session, number: int) -> NoSuchTransactionError:
    return NoSuchTransactionError(
        f"Transaction with {{ txnNumber: {number} }} has been aborted or does not exist"
    )
