"""Domain: the specific errors raised when a command breaks a bank-account invariant."""

from __future__ import annotations


class DomainError(Exception):
    """A command was refused because it would break a business rule."""


class InvalidAmountError(DomainError):
    """An amount is not positive, has more than 2 decimal places or exceeds the per-operation limit."""


class InvalidCurrencyError(DomainError):
    """A currency code is not one of the supported currencies."""


class InvalidOwnerError(DomainError):
    """An owner name is blank or too long."""


class InsufficientFundsError(DomainError):
    """A withdrawal or transfer would make the balance negative."""


class AccountClosedError(DomainError):
    """The account is closed and refuses every command."""


class CurrencyMismatchError(DomainError):
    """A transfer between accounts held in different currencies."""


class SelfTransferError(DomainError):
    """A transfer whose source and target are the same account."""


class BalanceNotZeroError(DomainError):
    """An account can only be closed when its balance is exactly zero."""
