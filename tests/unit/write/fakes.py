"""Test doubles: an in-memory unit of work with the same commit-or-rollback contract as MongoDB's."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from accounts_write.application.bus import CommandBus, RetryPolicy
from accounts_write.application.errors import AccountNotFoundError, TransactionConflictError
from accounts_write.application.ports import AccountRepository, CommandLog, CommandRecord, Commit, UnitOfWork
from accounts_write.domain.events import DomainEvent
from accounts_write.domain.model import BankAccount


@dataclass
class FakeStore:
    """What the write database would hold: account states, the outbox and command records."""

    accounts: dict[UUID, BankAccount] = field(default_factory=dict)
    outbox: list[tuple[DomainEvent, str | None]] = field(default_factory=list)
    commands: dict[str, CommandRecord] = field(default_factory=dict)
    commits: int = 0

    def events_of(self, account_id: UUID) -> list[DomainEvent]:
        return [event for event, _ in self.outbox if event.aggregate_id == account_id]


class FakeAccountRepository(AccountRepository):
    def __init__(self, store: FakeStore) -> None:
        super().__init__()
        self.store = store

    def _load(self, account_id: UUID) -> BankAccount:
        if account_id not in self.store.accounts:
            raise AccountNotFoundError(account_id)
        return copy.deepcopy(self.store.accounts[account_id])


class FakeCommandLog(CommandLog):
    def __init__(self, store: FakeStore) -> None:
        super().__init__()
        self.store = store

    def get(self, command_id: str) -> CommandRecord | None:
        return self.store.commands.get(command_id)


class FakeUnitOfWork(UnitOfWork):
    """Writes a commit to the store (version-checked, all or nothing); nothing reaches it otherwise.

    ``before_commit`` runs first in every commit (tests: make it raise a conflict).
    """

    def __init__(self, store: FakeStore, before_commit: Callable[[], None] | None = None) -> None:
        self.store = store
        self.before_commit = before_commit
        self.accounts = FakeAccountRepository(store)
        self.commands = FakeCommandLog(store)

    def _write(self, commit: Commit) -> None:
        if self.before_commit is not None:
            self.before_commit()
        for change in commit.changes:
            stored = self.store.accounts.get(change.account.id)
            if (stored.version if stored is not None else None) != change.version_read:
                raise TransactionConflictError(f"account {change.account.id} changed")
        if commit.record is not None and commit.record.command_id in self.store.commands:
            raise TransactionConflictError(f"command {commit.record.command_id} is already recorded")
        for change in commit.changes:
            self.store.accounts[change.account.id] = copy.deepcopy(change.account)
        self.store.outbox.extend((event, commit.command_id) for event in commit.events)
        if commit.record is not None:
            self.store.commands[commit.record.command_id] = commit.record
        self.store.commits += 1

    def rollback(self) -> None:
        pass  # nothing reaches the store before commit()


class StepClock:
    """A clock that moves one millisecond per reading, so timestamps are distinct and predictable."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


def fake_bus(store: FakeStore | None = None, max_attempts: int = 5) -> tuple[CommandBus, FakeStore]:
    """A command bus over a fake store (no sleeping between retries)."""
    store = store if store is not None else FakeStore()
    bus = CommandBus(
        lambda: FakeUnitOfWork(store),
        clock=StepClock(),
        retry=RetryPolicy(max_attempts=max_attempts),
        sleep=lambda _: None,
    )
    return bus, store
