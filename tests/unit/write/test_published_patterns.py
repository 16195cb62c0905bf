"""Unit: the patterns the OpenAPI document publishes are exactly what the API accepts.

A value matches the published pattern if and only if the request schema and the domain together
accept it: clients (and schema-driven testers) can trust the document both ways.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pydantic
from hypothesis import example, given
from hypothesis import strategies as st

from accounts_write.domain.errors import DomainError
from accounts_write.domain.model import checked_amount, checked_owner
from accounts_write.schemas import (
    AMOUNT_PATTERN,
    INITIAL_DEPOSIT_PATTERN,
    OWNER_PATTERN,
    AmountIn,
    OpenAccountIn,
)

money_like = st.from_regex(r"[-+ ]?[0-9٥５]{0,12}(\.[0-9]{0,3})?[\n ]?", fullmatch=True)
tricky = st.sampled_from(
    [" ", "\u00a0", "\u200d", "\u200c", "\u0301", "\n", "\t", "\x85", "\u2028", "\u3000", "a", "😀"]
)
names = st.lists(st.one_of(tricky, st.characters(codec="utf-8")), max_size=8).map("".join)


def amount_accepted(value: str) -> bool:
    try:
        checked_amount(Decimal(AmountIn.model_validate({"amount": value}).amount))
    except (pydantic.ValidationError, DomainError):
        return False
    return True


def initial_deposit_accepted(value: str) -> bool:
    try:
        deposit = Decimal(
            OpenAccountIn.model_validate({"owner": "Ada", "initial_deposit": value}).initial_deposit or 0
        )
        if deposit != 0:
            checked_amount(deposit)
    except (pydantic.ValidationError, DomainError):
        return False
    return True


def owner_accepted(value: str) -> bool:
    try:
        checked_owner(OpenAccountIn.model_validate({"owner": value}).owner)
    except (pydantic.ValidationError, DomainError):
        return False
    return True


@given(st.one_of(st.from_regex(AMOUNT_PATTERN, fullmatch=True), money_like))
@example("0.00")
@example("1000000000.01")
@example("0005.10")
def test_the_amount_pattern_is_what_deposits_withdrawals_and_transfers_accept(value: str) -> None:
    assert (re.fullmatch(AMOUNT_PATTERN, value) is not None) == amount_accepted(value)


@given(st.one_of(st.from_regex(INITIAL_DEPOSIT_PATTERN, fullmatch=True), money_like))
@example("0")
@example("0.0")
@example("0.000")
def test_the_initial_deposit_pattern_is_what_opening_accepts(value: str) -> None:
    assert (re.fullmatch(INITIAL_DEPOSIT_PATTERN, value) is not None) == initial_deposit_accepted(value)


@given(st.one_of(names, st.from_regex(OWNER_PATTERN, fullmatch=True).filter(lambda name: len(name) <= 200)))
@example(" \u00a0 ")
@example("\u200d")
@example("x" * 201)
def test_the_owner_pattern_and_length_are_what_opening_accepts(value: str) -> None:
    published = re.fullmatch(OWNER_PATTERN, value) is not None and len(value) <= 200
    assert published == owner_accepted(value)


def test_the_blanks_in_the_owner_pattern_are_the_ones_python_strips() -> None:
    controls = {
        chr(code) for code in range(0x110000) if re.fullmatch(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", chr(code))
    }
    blanks = {chr(code) for code in range(0x110000) if chr(code).isspace()} - controls
    assert all(re.fullmatch(OWNER_PATTERN, f"a{blank}a") for blank in blanks)
    assert not any(re.fullmatch(OWNER_PATTERN, blank) for blank in blanks)
