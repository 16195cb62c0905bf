"""Domain: the events a bank account emits (past tense; names match contract.EventType)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """What every event carries: its id, its aggregate, the aggregate's version after it, and when."""

    event_id: UUID
    aggregate_id: UUID
    aggregate_version: int
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class AccountOpened(DomainEvent):
    owner: str
    currency: str


@dataclass(frozen=True, kw_only=True)
class FundsDeposited(DomainEvent):
    amount: Decimal
    balance_after: Decimal


@dataclass(frozen=True, kw_only=True)
class FundsWithdrawn(DomainEvent):
    amount: Decimal
    balance_after: Decimal


@dataclass(frozen=True, kw_only=True)
class TransferSent(DomainEvent):
    transfer_id: UUID
    to_account: UUID
    amount: Decimal
    balance_after: Decimal


@dataclass(frozen=True, kw_only=True)
class TransferReceived(DomainEvent):
    transfer_id: UUID
    from_account: UUID
    amount: Decimal
    balance_after: Decimal


@dataclass(frozen=True, kw_only=True)
class AccountClosed(DomainEvent):
    pass
