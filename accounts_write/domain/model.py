"""Domain: the BankAccount aggregate — enforces the invariants and collects its pending events.

Beside it, its value types: the supported currencies and validated operation amounts (money).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from accounts_write.domain import events as ev
from accounts_write.domain.errors import (
    AccountClosedError,
    BalanceNotZeroError,
    CurrencyMismatchError,
    InsufficientFundsError,
    InvalidAmountError,
    InvalidCurrencyError,
    InvalidOwnerError,
    SelfTransferError,
)

# --- money --------------------------------------------------------------------------------------

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_OPERATION_AMOUNT = Decimal("1000000000.00")


class Currency(StrEnum):
    EUR = "EUR"
    USD = "USD"
    GBP = "GBP"
    CHF = "CHF"

    @classmethod
    def parse(cls, code: str) -> Currency:
        """The currency for an ISO 4217 code from the supported set, or ``InvalidCurrencyError``."""
        try:
            return cls(code)
        except ValueError:
            supported = ", ".join(member.value for member in cls)
            raise InvalidCurrencyError(
                f"currency {code!r} is not supported; use one of {supported}"
            ) from None


DEFAULT_CURRENCY = Currency.EUR


def checked_amount(value: Decimal) -> Decimal:
    """The amount of one operation, with exactly 2 places, or ``InvalidAmountError`` saying why not."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidAmountError(f"amount must be a finite decimal number, got {value!r}")
    if value <= 0:
        raise InvalidAmountError(f"amount must be greater than zero, got {value}")
    try:
        quantized = value.quantize(CENT)
    except InvalidOperation:
        raise InvalidAmountError(f"amount {value} is too large") from None
    if quantized != value:
        raise InvalidAmountError(f"amount must have at most 2 decimal places, got {value}")
    if quantized > MAX_OPERATION_AMOUNT:
        raise InvalidAmountError(f"amount must be at most {MAX_OPERATION_AMOUNT} per operation, got {value}")
    return quantized


# --- the account --------------------------------------------------------------------------------

MAX_OWNER_LENGTH = 200
# Unicode categories refused in names: controls, line and paragraph separators, surrogates.
REFUSED_IN_NAMES = frozenset({"Cc", "Zl", "Zp", "Cs"})


class AccountStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def checked_owner(owner: str) -> str:
    """The owner's name without surrounding blanks, or ``InvalidOwnerError`` saying why not.

    Names are what people use: any script, combining marks, emoji sequences joined by U+200D,
    U+200C in Persian, no-break spaces. Refused are blank names and control characters (NUL, tabs,
    newlines, C1 controls), line and paragraph separators and lone surrogates: junk in a display
    name that breaks the lines, logs and documents it ends up in.
    """
    if not isinstance(owner, str):
        raise InvalidOwnerError("owner must be text")
    if any(unicodedata.category(char) in REFUSED_IN_NAMES for char in owner):
        raise InvalidOwnerError("owner must not contain control characters or line breaks")
    name = owner.strip()
    if not name:
        raise InvalidOwnerError("owner must not be blank")
    if len(name) > MAX_OWNER_LENGTH:
        raise InvalidOwnerError(f"owner must be at most {MAX_OWNER_LENGTH} characters, got {len(name)}")
    return name


@dataclass(eq=False)
class BankAccount:
    """One account; every state change is an event that raises ``version`` by exactly one."""

    id: UUID
    owner: str
    currency: Currency
    balance: Decimal
    status: AccountStatus
    version: int
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    pending_events: list[ev.DomainEvent] = field(default_factory=list, repr=False)

    # --- commands ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        account_id: UUID,
        owner: str,
        currency: str,
        initial_deposit: Decimal | None,
        now: datetime,
    ) -> BankAccount:
        """A new account (AccountOpened, version 1), plus FundsDeposited if money comes with it."""
        name = checked_owner(owner)
        code = Currency.parse(currency)
        deposit = None if initial_deposit is None or initial_deposit == 0 else checked_amount(initial_deposit)
        opened = ev.AccountOpened(
            event_id=uuid4(),
            aggregate_id=account_id,
            aggregate_version=1,
            occurred_at=now,
            owner=name,
            currency=code.value,
        )
        account = cls._from_opened(opened)
        account.pending_events.append(opened)
        if deposit is not None:
            account.deposit(deposit, now)
        return account

    def deposit(self, amount: Decimal, now: datetime) -> None:
        value = checked_amount(amount)
        self._require_open()
        self._emit(ev.FundsDeposited, now, amount=value, balance_after=self.balance + value)

    def withdraw(self, amount: Decimal, now: datetime) -> None:
        value = checked_amount(amount)
        self._require_open()
        self._require_funds(value)
        self._emit(ev.FundsWithdrawn, now, amount=value, balance_after=self.balance - value)

    def close(self, now: datetime) -> None:
        self._require_open()
        if self.balance != ZERO:
            raise BalanceNotZeroError(
                f"account {self.id} still holds {self.balance} {self.currency}; "
                "only an account with a zero balance can be closed"
            )
        self._emit(ev.AccountClosed, now)

    # --- replay -------------------------------------------------------------------------------

    @classmethod
    def from_events(cls, events: Iterable[ev.DomainEvent]) -> BankAccount:
        """The account's state rebuilt from its whole history (first event: AccountOpened)."""
        history = iter(events)
        first = next(history, None)
        if not isinstance(first, ev.AccountOpened):
            raise ValueError("an account's history starts with AccountOpened")
        account = cls._from_opened(first)
        for event in history:
            account._apply(event)
        return account

    def take_events(self) -> list[ev.DomainEvent]:
        """The events raised since the last call, oldest first (the caller publishes them)."""
        taken, self.pending_events = self.pending_events, []
        return taken

    def state(self) -> dict[str, Any]:
        """The observable state (no pending events): for comparisons and snapshots."""
        return {
            "id": self.id,
            "owner": self.owner,
            "currency": self.currency,
            "balance": self.balance,
            "status": self.status,
            "version": self.version,
            "opened_at": self.opened_at,
            "updated_at": self.updated_at,
            "closed_at": self.closed_at,
        }

    # --- internals ----------------------------------------------------------------------------

    @classmethod
    def _from_opened(cls, opened: ev.AccountOpened) -> BankAccount:
        return cls(
            id=opened.aggregate_id,
            owner=opened.owner,
            currency=Currency(opened.currency),
            balance=ZERO,
            status=AccountStatus.OPEN,
            version=opened.aggregate_version,
            opened_at=opened.occurred_at,
            updated_at=opened.occurred_at,
        )

    def _require_open(self) -> None:
        if self.status is AccountStatus.CLOSED:
            raise AccountClosedError(f"account {self.id} is closed")

    def _require_funds(self, amount: Decimal) -> None:
        if amount > self.balance:
            raise InsufficientFundsError(
                f"account {self.id} holds {self.balance} {self.currency}, "
                f"which does not cover {amount} {self.currency}"
            )

    def _emit(self, event_class: type[ev.DomainEvent], now: datetime, **payload: Any) -> None:
        event = event_class(
            event_id=uuid4(),
            aggregate_id=self.id,
            aggregate_version=self.version + 1,
            occurred_at=now,
            **payload,
        )
        self._apply(event)
        self.pending_events.append(event)

    def _apply(self, event: ev.DomainEvent) -> None:
        if event.aggregate_id != self.id or event.aggregate_version != self.version + 1:
            raise ValueError(
                f"event for {event.aggregate_id} v{event.aggregate_version} "
                f"does not follow {self.id} v{self.version}"
            )
        if isinstance(event, ev.FundsDeposited | ev.FundsWithdrawn | ev.TransferSent | ev.TransferReceived):
            self.balance = event.balance_after
        elif isinstance(event, ev.AccountClosed):
            self.status = AccountStatus.CLOSED
            self.closed_at = event.occurred_at
        else:
            raise ValueError(f"{type(event).__name__} cannot be applied to an open account")
        self.version = event.aggregate_version
        self.updated_at = event.occurred_at


def transfer(
    source: BankAccount, target: BankAccount, amount: Decimal, *, transfer_id: UUID, now: datetime
) -> None:
    """Move money between two accounts: TransferSent on the source, TransferReceived on the target."""
    value = checked_amount(amount)
    if source.id == target.id:
        raise SelfTransferError(f"account {source.id} cannot transfer to itself")
    source._require_open()
    target._require_open()
    if source.currency != target.currency:
        raise CurrencyMismatchError(
            f"account {source.id} is in {source.currency} but account {target.id} is in "
            f"{target.currency}; transfers need the same currency"
        )
    source._require_funds(value)
    source._emit(
        ev.TransferSent,
        now,
        transfer_id=transfer_id,
        to_account=target.id,
        amount=value,
        balance_after=source.balance - value,
    )
    target._emit(
        ev.TransferReceived,
        now,
        transfer_id=transfer_id,
        from_account=source.id,
        amount=value,
        balance_after=target.balance + value,
    )
