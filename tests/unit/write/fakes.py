"""Test doubles: an in-memory unit of work with the same commit-or-rollback contract as MongoDB's."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from accounts_write.application.bus import CommandBus, RetryPolicy
from accounts_write.application.errors import AccountNotFoundError, TransactionConflictError
from accounts_write.application.idempotency import CommandRecord
from accounts_write.application.ports import AccountRepository, CommandLog, UnitOfWork
from accounts_write.domain.events import DomainEvent
from accounts_write.domain.model import BankAccount


@dataclass
class FakeStore:
    """What the write database would hold: account states, the outbox and command records."""

    accounts: dict[UUID, BankAccount] = field(default_factory=dict)
    outbox: list[tuple[DomainEvent, str]] = field(default_factory=list)
    commands: dict[str, CommandRecord] = field(default_factory=dict)
    commits: int = 0

    def events_of(self, account_id: UUID) -> list[DomainEvent]:
        return [event for event, _ in self.outbox if event.aggregate_id == account_id]


class FakeAccountRepository(AccountRepository):
    def __init__(self, store: FakeStore) -> None:
        super().__init__()
        self.store = store
        self.versions_read: dict[UUID, int] = {}

    def _load(self, account_id: UUID) -> BankAccount:
        if account_id not in self.store.accounts:
            raise AccountNotFoundError(account_id)
        account = copy.deepcopy(self.store.accounts[account_id])
        self.versions_read[account_id] = account.version
        return account


class FakeCommandLog(CommandLog):
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.pending: CommandRecord | None = None

    def get(self, command_id: str) -> CommandRecord | None:
        return self.store.commands.get(command_id)

    def add(self, record: CommandRecord) -> None:
        self.pending = record


class FakeUnitOfWork(UnitOfWork):
    """Applies everything at ``commit()`` (version-checked); nothing otherwise."""

    def __init__(self, store: FakeStore, before_commit: Callable[[], None] | None = None) -> None:
        self.store = store
        self.before_commit = before_commit
        self.fake_accounts = FakeAccountRepository(store)
        self.fake_commands = FakeCommandLog(store)
        self.accounts = self.fake_accounts
        self.commands = self.fake_commands
        self.committed = False

    def commit(self) -> None:
        if self.before_commit is not None:
            self.before_commit()
        changed = [account for account in self.fake_accounts.seen.values() if account.pending_events]
        for account in changed:
            stored = self.store.accounts.get(account.id)
            if stored is not None and stored.version != self.fake_accounts.versions_read.get(account.id):
                raise TransactionConflictError(f"account {account.id} changed")
        record = self.fake_commands.pending
        command_id = record.command_id if record else ""
        for account in changed:
            self.store.outbox.extend((event, command_id) for event in account.take_events())
            self.store.accounts[account.id] = copy.deepcopy(account)
        if record is not None:
            self.store.commands[record.command_id] = record
        self.store.commits += 1
        self.committed = True

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
