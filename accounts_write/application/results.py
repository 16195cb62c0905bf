"""Application: what a handled command returns (and what the command record stores for replays)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True)
class AccountState:
    """One account right after the command."""

    account_id: UUID
    version: int
    balance: Decimal


@dataclass(frozen=True)
class AccountCommandResult:
    """Result of open, deposit, withdraw and close."""

    account_id: UUID
    version: int
    balance: Decimal
    event_ids: tuple[UUID, ...]
    command_id: str
    replayed: bool = False


@dataclass(frozen=True)
class TransferResult:
    transfer_id: UUID
    from_account: AccountState
    to_account: AccountState
    event_ids: tuple[UUID, ...]
    command_id: str
    replayed: bool = False


CommandResult = AccountCommandResult | TransferResult
