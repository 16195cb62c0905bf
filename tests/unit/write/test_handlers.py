"""Unit: command handlers through the command bus, against the in-memory unit of work."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from accounts_write.application.bus import CommandBus, RetryPolicy
from accounts_write.application.errors import (
    AccountNotFoundError,
    ConcurrencyConflictError,
    IdempotencyKeyReusedError,
    TransactionConflictError,
)
from accounts_write.application.results import AccountCommandResult, TransferResult
from accounts_write.domain import events as ev
from accounts_write.domain.commands import (
    CloseAccount,
    DepositFunds,
    OpenAccount,
    TransferFunds,
    WithdrawFunds,
)
from accounts_write.domain.errors import InsufficientFundsError, SelfTransferError
from tests.unit.write.fakes import FakeStore, FakeUnitOfWork, StepClock, fake_bus


def open_with(bus: CommandBus, amount: str | None = "100.00") -> UUID:
    command = OpenAccount(owner="Ada", initial_deposit=Decimal(amount) if amount else None)
    result = bus.handle(command, f"open-{uuid4()}")
    assert isinstance(result, AccountCommandResult)
    return result.account_id


def test_open_account_stores_account_events_and_record_in_one_commit() -> None:
    bus, store = fake_bus()
    result = bus.handle(OpenAccount(owner="Ada", initial_deposit=Decimal("5.00")), "cmd-1")
    assert isinstance(result, AccountCommandResult)
    assert (result.version, result.balance, result.command_id) == (2, Decimal("5.00"), "cmd-1")
    assert store.commits == 1
    assert [event.event_id for event, _ in store.outbox] == list(result.event_ids)
    assert all(command_id == "cmd-1" for _, command_id in store.outbox)
    assert store.commands["cmd-1"].result == result


def test_deposit_and_withdraw_update_balance_and_version() -> None:
    bus, store = fake_bus()
    account_id = open_with(bus, "10.00")
    bus.handle(DepositFunds(account_id, Decimal("5.00")), "d")
    result = bus.handle(WithdrawFunds(account_id, Decimal("12.00")), "w")
    assert isinstance(result, AccountCommandResult)
    assert (result.version, result.balance) == (4, Decimal("3.00"))
    assert store.accounts[account_id].balance == Decimal("3.00")


def test_unknown_account_is_not_found() -> None:
    bus, store = fake_bus()
    with pytest.raises(AccountNotFoundError):
        bus.handle(DepositFunds(uuid4(), Decimal("1.00")), "d")
    assert store.commits == 0


def test_refused_command_stores_nothing() -> None:
    bus, store = fake_bus()
    account_id = open_with(bus, "1.00")
    with pytest.raises(InsufficientFundsError):
        bus.handle(WithdrawFunds(account_id, Decimal("2.00")), "w")
    assert (store.commits, len(store.outbox)) == (1, 2)
    assert "w" not in store.commands


def test_transfer_changes_both_accounts_in_one_commit() -> None:
    bus, store = fake_bus()
    source, target = open_with(bus, "50.00"), open_with(bus, None)
    result = bus.handle(TransferFunds(source, target, Decimal("20.00")), "t")
    assert isinstance(result, TransferResult)
    assert (result.from_account.balance, result.to_account.balance) == (Decimal("30.00"), Decimal("20.00"))
    assert (result.from_account.version, result.to_account.version) == (3, 2)
    assert store.commits == 3
    sent, received = (event for event, _ in store.outbox[-2:])
    assert isinstance(sent, ev.TransferSent) and isinstance(received, ev.TransferReceived)
    assert list(result.event_ids) == [sent.event_id, received.event_id]


def test_transfer_to_self_is_refused() -> None:
    bus, _ = fake_bus()
    account_id = open_with(bus)
    with pytest.raises(SelfTransferError):
        bus.handle(TransferFunds(account_id, account_id, Decimal("1.00")), "t")


def test_close_account() -> None:
    bus, store = fake_bus()
    account_id = open_with(bus, None)
    result = bus.handle(CloseAccount(account_id), "c")
    assert isinstance(result, AccountCommandResult) and result.version == 2
    assert store.accounts[account_id].status == "closed"


def test_repeated_command_returns_first_result_and_executes_nothing() -> None:
    bus, store = fake_bus()
    account_id = open_with(bus, None)
    first = bus.handle(DepositFunds(account_id, Decimal("5.00")), "same-key")
    again = bus.handle(DepositFunds(account_id, Decimal("5.0")), "same-key")
    assert again.replayed and not first.replayed
    assert again.event_ids == first.event_ids and again.version == first.version
    assert store.accounts[account_id].balance == Decimal("5.00")
    assert store.commits == 2


def test_same_key_with_different_payload_is_refused() -> None:
    bus, _ = fake_bus()
    account_id = open_with(bus, None)
    bus.handle(DepositFunds(account_id, Decimal("5.00")), "key")
    with pytest.raises(IdempotencyKeyReusedError):
        bus.handle(DepositFunds(account_id, Decimal("6.00")), "key")


def test_same_key_for_a_different_command_type_is_refused() -> None:
    bus, _ = fake_bus()
    account_id = open_with(bus)
    bus.handle(DepositFunds(account_id, Decimal("5.00")), "key")
    with pytest.raises(IdempotencyKeyReusedError):
        bus.handle(WithdrawFunds(account_id, Decimal("5.00")), "key")


def test_conflict_is_retried_and_then_succeeds() -> None:
    store = FakeStore()
    failures = iter([TransactionConflictError("clash"), TransactionConflictError("clash")])

    def flaky() -> None:
        error = next(failures, None)
        if error is not None:
            raise error

    bus, _ = fake_bus(store)
    account_id = open_with(bus, None)
    retrying = CommandBus(
        lambda: FakeUnitOfWork(store, before_commit=flaky),
        clock=StepClock(),
        retry=RetryPolicy(max_attempts=3),
        sleep=lambda _: None,
    )
    result = retrying.handle(DepositFunds(account_id, Decimal("1.00")), "d")
    assert result.version == 2 and len(store.events_of(account_id)) == 2


def test_conflict_retries_are_bounded() -> None:
    store = FakeStore()
    bus, _ = fake_bus(store)
    account_id = open_with(bus, None)
    attempts: list[int] = []

    def always_conflict() -> None:
        attempts.append(1)
        raise TransactionConflictError("clash")

    sleeps: list[float] = []
    retrying = CommandBus(
        lambda: FakeUnitOfWork(store, before_commit=always_conflict),
        clock=StepClock(),
        retry=RetryPolicy(max_attempts=4),
        sleep=sleeps.append,
    )
    with pytest.raises(ConcurrencyConflictError):
        retrying.handle(DepositFunds(account_id, Decimal("1.00")), "d")
    assert len(attempts) == 4 and len(sleeps) == 3
    assert store.accounts[account_id].version == 1

