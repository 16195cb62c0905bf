"""Domain: the commands a client can issue against bank accounts (imperative, immutable)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True)
class Command:
    """Base of every write-side command."""


@dataclass(frozen=True)
class OpenAccount(Command):
    owner: str
    currency: str = "EUR"
    # None (or zero) opens the account empty.
    initial_deposit: Decimal | None = None


@dataclass(frozen=True)
class DepositFunds(Command):
    account_id: UUID
    amount: Decimal


@dataclass(frozen=True)
class WithdrawFunds(Command):
    account_id: UUID
    amount: Decimal


@dataclass(frozen=True)
class TransferFunds(Command):
    from_account: UUID
    to_account: UUID
    amount: Decimal


@dataclass(frozen=True)
class CloseAccount(Command):
    account_id: UUID
