"""Application: one handler per command — load aggregates, call the domain, describe the result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from accounts_write.application.ports import UnitOfWork
from accounts_write.application.results import AccountCommandResult, AccountState, TransferResult
from accounts_write.domain.commands import (
    CloseAccount,
    Command,
    DepositFunds,
    OpenAccount,
    TransferFunds,
    WithdrawFunds,
)
from accounts_write.domain.model import BankAccount, transfer


@dataclass(frozen=True)
class Context:
    """What a handler knows besides its command: the command id and the time of handling."""

    command_id: str
    now: datetime


def _account_result(account: BankAccount, context: Context) -> AccountCommandResult:
    return AccountCommandResult(
        account_id=account.id,
        version=account.version,
        balance=account.balance,
        event_ids=tuple(event.event_id for event in account.pending_events),
        command_id=context.command_id,
    )


def open_account(command: OpenAccount, uow: UnitOfWork, context: Context) -> AccountCommandResult:
    account = BankAccount.open(
        account_id=uuid4(),
        owner=command.owner,
        currency=command.currency,
        initial_deposit=command.initial_deposit,
        now=context.now,
    )
    uow.accounts.add(account)
    return _account_result(account, context)


def deposit_funds(command: DepositFunds, uow: UnitOfWork, context: Context) -> AccountCommandResult:
    account = uow.accounts.get(command.account_id)
    account.deposit(command.amount, context.now)
    return _account_result(account, context)


def withdraw_funds(command: WithdrawFunds, uow: UnitOfWork, context: Context) -> AccountCommandResult:
    account = uow.accounts.get(command.account_id)
    account.withdraw(command.amount, context.now)
    return _account_result(account, context)


def close_account(command: CloseAccount, uow: UnitOfWork, context: Context) -> AccountCommandResult:
    account = uow.accounts.get(command.account_id)
    account.close(context.now)
    return _account_result(account, context)


def transfer_funds(command: TransferFunds, uow: UnitOfWork, context: Context) -> TransferResult:
    source = uow.accounts.get(command.from_account)
    target = uow.accounts.get(command.to_account)
    transfer_id = uuid4()
    transfer(source, target, command.amount, transfer_id=transfer_id, now=context.now)
    return TransferResult(
        transfer_id=transfer_id,
        from_account=AccountState(source.id, source.version, source.balance),
        to_account=AccountState(target.id, target.version, target.balance),
        event_ids=tuple(event.event_id for event in (*source.pending_events, *target.pending_events)),
        command_id=context.command_id,
    )


Handler = Callable[[Any, UnitOfWork, Context], AccountCommandResult | TransferResult]

HANDLERS: dict[type[Command], Handler] = {
    OpenAccount: open_account,
    DepositFunds: deposit_funds,
    WithdrawFunds: withdraw_funds,
    TransferFunds: transfer_funds,
    CloseAccount: close_account,
}


def accounts_touched(command: Command) -> tuple[UUID, ...]:
    """The existing accounts a command loads (for log context)."""
    return tuple(value for value in vars(command).values() if isinstance(value, UUID))
