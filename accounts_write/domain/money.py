"""Domain: money value objects — supported currencies and validated operation amounts."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum

from accounts_write.domain.errors import InvalidAmountError, InvalidCurrencyError

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
