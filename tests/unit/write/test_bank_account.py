"""Unit: the BankAccount aggregate's commands, invariants and events."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from accounts_write.domain import events as ev
from accounts_write.domain.errors import (
    AccountClosedError,
    BalanceNotZeroError,
    InsufficientFundsError,
    InvalidAmountError,
    InvalidCurrencyError,
    InvalidOwnerError,
)
from accounts_write.domain.model import MAX_OWNER_LENGTH, AccountStatus, BankAccount

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def open_account(initial: str | None = None, currency: str = "EUR", owner: str = "Ada") -> BankAccount:
    deposit = Decimal(initial) if initial is not None else None
    return BankAccount.open(
        account_id=uuid4(), owner=owner, currency=currency, initial_deposit=deposit, now=NOW
    )


def test_open_without_deposit_emits_account_opened_at_version_1() -> None:
    account = open_account()
    (opened,) = account.take_events()
    assert isinstance(opened, ev.AccountOpened)
    assert (opened.aggregate_version, opened.owner, opened.currency) == (1, "Ada", "EUR")
    assert (account.version, account.balance, account.status) == (1, Decimal("0.00"), AccountStatus.OPEN)


def test_open_with_deposit_emits_opened_then_deposited() -> None:
    account = open_account("25.00")
    opened, deposited = account.take_events()
    assert isinstance(opened, ev.AccountOpened) and opened.aggregate_version == 1
    assert isinstance(deposited, ev.FundsDeposited) and deposited.aggregate_version == 2
    assert deposited.amount == deposited.balance_after == Decimal("25.00")
    assert account.version == 2


def test_open_with_zero_deposit_opens_empty() -> None:
    account = open_account("0.00")
    assert [type(event) for event in account.take_events()] == [ev.AccountOpened]


def test_open_with_negative_deposit_is_refused() -> None:
    with pytest.raises(InvalidAmountError):
        open_account("-1.00")


def test_owner_is_stripped() -> None:
    assert open_account(owner="  Ada Lovelace\u00a0 ").owner == "Ada Lovelace"


@pytest.mark.parametrize("owner", ["", "   ", "\u00a0\u3000"])
def test_blank_owner_is_refused(owner: str) -> None:
    with pytest.raises(InvalidOwnerError, match="blank"):
        open_account(owner=owner)


def test_owner_longer_than_limit_is_refused() -> None:
    open_account(owner="x" * MAX_OWNER_LENGTH)
    with pytest.raises(InvalidOwnerError, match="at most 200"):
        open_account(owner="x" * (MAX_OWNER_LENGTH + 1))


@pytest.mark.parametrize(
    "owner",
    [
        "Ada\x00Lovelace",
        "Ada\nLovelace",
        "Ada\x1b[31m",
        "Ada\n",
        "\tAda",
        "Ada\x85",
        "Ada\u2028Lovelace",
        "Ada\ud800",
    ],
)
def test_owner_with_control_characters_is_refused(owner: str) -> None:
    with pytest.raises(InvalidOwnerError, match="control characters"):
        open_account(owner=owner)


@pytest.mark.parametrize(
    "owner",
    [
        "👩\u200d💻 Grace",  # an emoji sequence joined by ZWJ
        "می\u200cخواهم",  # Persian with ZWNJ
        "Jean\u00a0Dupont",  # no-break space
        "Zoe\u0308 Ama\u0301lie",  # combining marks
        "\u200fعلي",  # a right-to-left mark
    ],
)
def test_owner_may_use_what_real_names_use(owner: str) -> None:
    assert open_account(owner=owner).owner == owner


def test_owner_may_use_any_printable_script() -> None:
    assert open_account(owner="Zoë Ωmega 山田").owner == "Zoë Ωmega 山田"


def test_unsupported_currency_is_refused() -> None:
    with pytest.raises(InvalidCurrencyError):
        open_account(currency="JPY")


def test_deposit_adds_and_records_balance_after() -> None:
    account = open_account("10.00")
    account.take_events()
    account.deposit(Decimal("2.50"), NOW)
    (event,) = account.take_events()
    assert isinstance(event, ev.FundsDeposited)
    assert (event.amount, event.balance_after, event.aggregate_version) == (
        Decimal("2.50"),
        Decimal("12.50"),
        3,
    )


def test_withdraw_subtracts() -> None:
    account = open_account("10.00")
    account.withdraw(Decimal("10.00"), NOW)
    assert account.balance == Decimal("0.00")
    assert isinstance(account.pending_events[-1], ev.FundsWithdrawn)


def test_withdraw_beyond_balance_is_refused_and_changes_nothing() -> None:
    account = open_account("10.00")
    before = account.state()
    with pytest.raises(InsufficientFundsError, match="does not cover"):
        account.withdraw(Decimal("10.01"), NOW)
    assert account.state() == before and len(account.pending_events) == 2


@pytest.mark.parametrize("amount", ["0", "-1", "0.001", "1000000000.01"])
def test_deposit_and_withdraw_refuse_invalid_amounts(amount: str) -> None:
    account = open_account("10.00")
    with pytest.raises(InvalidAmountError):
        account.deposit(Decimal(amount), NOW)
    with pytest.raises(InvalidAmountError):
        account.withdraw(Decimal(amount), NOW)


def test_close_at_zero_balance() -> None:
    account = open_account()
    account.close(NOW)
    assert account.status is AccountStatus.CLOSED and account.closed_at == NOW
    assert isinstance(account.pending_events[-1], ev.AccountClosed)


def test_close_with_money_left_is_refused() -> None:
    account = open_account("0.01")
    with pytest.raises(BalanceNotZeroError):
        account.close(NOW)


@pytest.mark.parametrize("action", ["deposit", "withdraw"])
def test_closed_account_refuses_money_movements(action: str) -> None:
    account = open_account()
    account.close(NOW)
    with pytest.raises(AccountClosedError):
        getattr(account, action)(Decimal("1.00"), NOW)


def test_closed_account_cannot_be_closed_again() -> None:
    account = open_account()
    account.close(NOW)
    with pytest.raises(AccountClosedError):
        account.close(NOW)


def test_take_events_empties_the_pending_list() -> None:
    account = open_account("1.00")
    assert len(account.take_events()) == 2
    assert account.take_events() == []


def test_replay_rebuilds_the_same_state() -> None:
    account = open_account("5.00")
    account.withdraw(Decimal("5.00"), NOW)
    account.close(NOW)
    assert BankAccount.from_events(account.pending_events).state() == account.state()


def test_replay_refuses_a_history_with_a_gap() -> None:
    account = open_account("5.00")
    account.withdraw(Decimal("1.00"), NOW)
    opened, _, withdrawn = account.pending_events
    with pytest.raises(ValueError, match="does not follow"):
        BankAccount.from_events([opened, withdrawn])


def test_replay_must_start_with_account_opened() -> None:
    event = ev.AccountClosed(event_id=uuid4(), aggregate_id=UUID(int=1), aggregate_version=1, occurred_at=NOW)
    with pytest.raises(ValueError, match="starts with AccountOpened"):
        BankAccount.from_events([event])
