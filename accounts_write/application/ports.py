"""Application: the ports — repositories, and the unit of work that assembles and commits their changes."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from uuid import UUID

from accounts_write.application.idempotency import CommandRecord
from accounts_write.domain.events import DomainEvent
from accounts_write.domain.model import BankAccount


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
