"""Application: the ports — repositories, the command log and its records, and the unit of work.

The unit of work assembles and commits their changes; a command record carries the fingerprint of
its command's payload, so a repeated command id replays the first result (idempotency).
"""

from __future__ import annotations

import abc
import hashlib
import json
from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Self
from uuid import UUID

from accounts_write.application.errors import IdempotencyKeyReusedError
from accounts_write.application.results import CommandResult
from accounts_write.domain.commands import Command
from accounts_write.domain.events import DomainEvent
from accounts_write.domain.model import BankAccount

# --- command records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandRecord:
    """A handled command: stored with its result in the same transaction as its effects."""

    command_id: str
    command_type: str
    payload_hash: str
    result: CommandResult
    recorded_at: datetime


def _canonical(value: object) -> object:
    if isinstance(value, Decimal):
        # 12.5 and 12.50 are the same amount, so they are the same payload.
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, UUID):
        return str(value)
    return value


def payload_hash(command: Command) -> str:
    """SHA-256 of the command's type and canonical payload (stable across processes)."""
    payload = {item.name: _canonical(getattr(command, item.name)) for item in fields(command)}
    text = json.dumps({"type": type(command).__name__, "payload": payload}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def replay(record: CommandRecord, command: Command) -> CommandResult:
    """The first result again, if the command is the same one; ``IdempotencyKeyReusedError`` if not."""
    if record.command_type != type(command).__name__ or record.payload_hash != payload_hash(command):
        raise IdempotencyKeyReusedError(record.command_id)
    return replace(record.result, replayed=True)


# --- repositories and the unit of work ----------------------------------------------------------


@dataclass(frozen=True)
class AccountChange:
    """One changed account: its new state, the version it was read at (None: new) and its new events."""

    account: BankAccount
    version_read: int | None
    events: tuple[DomainEvent, ...]


@dataclass(frozen=True)
class Commit:
    """Everything one unit of work writes, all or nothing: the changed accounts and the command record."""

    changes: tuple[AccountChange, ...]
    record: CommandRecord | None

    @property
    def events(self) -> list[DomainEvent]:
        return [event for change in self.changes for event in change.events]

    @property
    def command_id(self) -> str | None:
        """The id the events are recorded under (None when no command record is written)."""
        return self.record.command_id if self.record is not None else None


class AccountRepository(abc.ABC):
    """Accounts loaded or added in one unit of work (an identity map: one object per id)."""

    def __init__(self) -> None:
        self.seen: dict[UUID, BankAccount] = {}
        self.versions_read: dict[UUID, int] = {}

    def get(self, account_id: UUID) -> BankAccount:
        """The account, or ``AccountNotFoundError``."""
        if account_id not in self.seen:
            account = self._load(account_id)
            self.seen[account_id] = account
            self.versions_read[account_id] = account.version
        return self.seen[account_id]

    def add(self, account: BankAccount) -> None:
        self.seen[account.id] = account

    @abc.abstractmethod
    def _load(self, account_id: UUID) -> BankAccount:
        """Read one account from the store, or raise ``AccountNotFoundError``."""


class CommandLog(abc.ABC):
    """Records of handled commands, by command id; a new record waits for the unit of work's commit."""

    def __init__(self) -> None:
        self.pending: CommandRecord | None = None

    @abc.abstractmethod
    def get(self, command_id: str) -> CommandRecord | None:
        """The committed record of an earlier command with this id, if any."""

    def add(self, record: CommandRecord) -> None:
        self.pending = record


class UnitOfWork(abc.ABC):
    """One transaction: the accounts, their new events and the command record, all or nothing.

    Leaving the ``with`` block without ``commit()`` rolls everything back. ``commit()`` assembles
    the ``Commit``; an adapter only writes it (``_write``).
    """

    accounts: AccountRepository
    commands: CommandLog

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        """Persist every changed account, its new events and the command record atomically."""
        self._write(self._collect())

    def _collect(self) -> Commit:
        changes = [
            AccountChange(account, self.accounts.versions_read.get(account.id), tuple(account.take_events()))
            for account in self.accounts.seen.values()
            if account.pending_events
        ]
        return Commit(tuple(changes), self.commands.pending)

    @abc.abstractmethod
    def _write(self, commit: Commit) -> None:
        """Write ``commit`` atomically, or nothing.

        ``TransactionConflictError`` if an account is no longer at its version read (or a new one
        already exists), or the command id is already recorded.
        """

    @abc.abstractmethod
    def rollback(self) -> None:
        """Discard everything not committed (a no-op after ``commit()``)."""
