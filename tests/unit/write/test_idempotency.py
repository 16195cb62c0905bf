"""Unit: the payload fingerprint that decides whether a repeated command id is the same command."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from accounts_write.application.ports import payload_hash
from accounts_write.domain.commands import DepositFunds, WithdrawFunds

ACCOUNT = UUID(int=7)


def test_equal_amounts_written_differently_are_the_same_payload() -> None:
    def fingerprint(amount: str) -> str:
        return payload_hash(DepositFunds(ACCOUNT, Decimal(amount)))

    assert fingerprint("12.5") == fingerprint("12.50")
    assert fingerprint("100") == fingerprint("100.00")


def test_different_amount_account_or_type_changes_the_fingerprint() -> None:
    base = payload_hash(DepositFunds(ACCOUNT, Decimal("1.00")))
    assert base != payload_hash(DepositFunds(ACCOUNT, Decimal("1.01")))
    assert base != payload_hash(DepositFunds(UUID(int=8), Decimal("1.00")))
    assert base != payload_hash(WithdrawFunds(ACCOUNT, Decimal("1.00")))


def test_fingerprint_is_stable_across_processes() -> None:
    # A fixed value: if this changes, stored command records stop matching their repeats.
    assert payload_hash(DepositFunds(ACCOUNT, Decimal("12.50"))) == (
        "66c15c22f64045a55e23d206f6d0c2374e8d822c471dc2b7dd301e97561c8817"
    )
