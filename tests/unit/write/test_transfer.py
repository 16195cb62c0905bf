"""Unit: transfers between two accounts (the domain service)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from accounts_write.domain import events as ev
from accounts_write.domain.errors import (
    AccountClosedError,
    CurrencyMismatchError,
    InsufficientFundsError,
    InvalidAmountError,
    SelfTransferError,
)
from accounts_write.domain.model import BankAccount, transfer

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def account(balance: str = "100.00", currency: str = "EUR") -> BankAccount:
    opened = BankAccount.open(
        account_id=uuid4(), owner="Ada", currency=currency, initial_deposit=Decimal(balance), now=NOW
    )
    opened.take_events()
    return opened


def test_transfer_moves_money_with_paired_events() -> None:
    source, target = account("100.00"), account("1.00")
    transfer_id = uuid4()
    transfer(source, target, Decimal("40.00"), transfer_id=transfer_id, now=NOW)
    (sent,) = source.take_events()
    (received,) = target.take_events()
    assert isinstance(sent, ev.TransferSent) and isinstance(received, ev.TransferReceived)
    assert sent.transfer_id == received.transfer_id == transfer_id
    assert (sent.to_account, received.from_account) == (target.id, source.id)
    assert (sent.balance_after, received.balance_after) == (Decimal("60.00"), Decimal("41.00"))
    assert (source.version, target.version) == (3, 3)


def test_transfer_to_self_is_refused() -> None:
    source = account()
    with pytest.raises(SelfTransferError):
        transfer(source, source, Decimal("1.00"), transfer_id=uuid4(), now=NOW)


def test_transfer_between_currencies_is_refused() -> None:
    with pytest.raises(CurrencyMismatchError, match="same currency"):
        transfer(account(), account(currency="USD"), Decimal("1.00"), transfer_id=uuid4(), now=NOW)


def test_transfer_beyond_balance_changes_neither_account() -> None:
    source, target = account("5.00"), account("5.00")
    before = (source.state(), target.state())
    with pytest.raises(InsufficientFundsError):
        transfer(source, target, Decimal("5.01"), transfer_id=uuid4(), now=NOW)
    assert (source.state(), target.state()) == before
    assert source.pending_events == target.pending_events == []


def closed_account() -> BankAccount:
    empty = account("0.00")
    empty.close(NOW)
    return empty


def test_transfer_from_a_closed_account_is_refused() -> None:
    with pytest.raises(AccountClosedError):
        transfer(closed_account(), account(), Decimal("1.00"), transfer_id=uuid4(), now=NOW)


def test_transfer_to_a_closed_account_is_refused() -> None:
    with pytest.raises(AccountClosedError):
        transfer(account(), closed_account(), Decimal("1.00"), transfer_id=uuid4(), now=NOW)


def test_transfer_refuses_invalid_amount() -> None:
    with pytest.raises(InvalidAmountError):
        transfer(account(), account(), Decimal("0.00"), transfer_id=uuid4(), now=NOW)
