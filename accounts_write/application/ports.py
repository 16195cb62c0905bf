"""Application: the ports — repositories and the unit of work that commits them atomically."""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self
from uuid import UUID

from accounts_write.application.idempotency import CommandRecord
from accounts_write.domain.model import BankAccount


class AccountRepository(abc.ABC):
    """Accounts loaded or added in one unit of work (an identity map: one object per id)."""

    def __init__(self) -> None:
        self.seen: dict[UUID, BankAccount] = {}

    def get(self, account_id: UUID) -> BankAccount:
        """The account, or ``AccountNotFoundError``."""
        if account_id not in self.seen:
            self.seen[account_id] = self._load(account_id)
        return self.seen[account_id]

    def add(self, account: BankAccount) -> None:
        self.seen[account.id] = account

    @abc.abstractmethod
    def _load(self, account_id: UUID) -> BankAccount:
        """Read one account from the store, or raise ``AccountNotFoundError``."""


class CommandLog(abc.ABC):
    """Records of handled commands, by command id."""

    @abc.abstractmethod
    def get(self, command_id: str) -> CommandRecord | None:
        """The record of an earlier command with this id, if any."""

    @abc.abstractmethod
    def add(self, record: CommandRecord) -> None:
        """Record the command; it is stored by the unit of work's commit."""


class UnitOfWork(abc.ABC):
    """One transaction: the accounts, their new events and the command record, all or nothing.

    Leaving the ``with`` block without ``commit()`` rolls everything back.
    """

    accounts: AccountRepository
    commands: CommandLog

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None:
        """Persist every changed account, its pending events and the command record atomically."""

    @abc.abstractmethod
    def rollback(self) -> None:
        """Discard everything not committed (a no-op after ``commit()``)."""
