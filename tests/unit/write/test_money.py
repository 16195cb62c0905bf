"""Unit: amount and currency value rules."""

from decimal import Decimal

import pytest

from accounts_write.domain.errors import InvalidAmountError, InvalidCurrencyError
from accounts_write.domain.model import MAX_OPERATION_AMOUNT, Currency, checked_amount


@pytest.mark.parametrize("raw", ["0.01", "1", "12.5", "12.50", "1000000000.00"])
def test_valid_amounts_come_back_with_two_places(raw: str) -> None:
    assert checked_amount(Decimal(raw)) == Decimal(raw)
    assert checked_amount(Decimal(raw)).as_tuple().exponent == -2


@pytest.mark.parametrize("raw", ["0", "0.00", "-0.01", "-5"])
def test_amount_must_be_positive(raw: str) -> None:
    with pytest.raises(InvalidAmountError, match="greater than zero"):
        checked_amount(Decimal(raw))


def test_amount_has_at_most_two_decimal_places() -> None:
    with pytest.raises(InvalidAmountError, match="2 decimal places"):
        checked_amount(Decimal("1.005"))


def test_amount_is_bounded_per_operation() -> None:
    with pytest.raises(InvalidAmountError, match="at most"):
        checked_amount(MAX_OPERATION_AMOUNT + Decimal("0.01"))


def test_absurdly_long_amount_is_refused_not_crashed() -> None:
    with pytest.raises(InvalidAmountError):
        checked_amount(Decimal("9" * 60))


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity"])
def test_amount_must_be_finite(raw: str) -> None:
    with pytest.raises(InvalidAmountError, match="finite"):
        checked_amount(Decimal(raw))


@pytest.mark.parametrize("code", ["EUR", "USD", "GBP", "CHF"])
def test_supported_currencies_parse(code: str) -> None:
    assert Currency.parse(code).value == code


@pytest.mark.parametrize("code", ["eur", "JPY", "", "EURO"])
def test_unsupported_currency_names_the_supported_ones(code: str) -> None:
    with pytest.raises(InvalidCurrencyError, match="EUR, USD, GBP, CHF"):
        Currency.parse(code)
