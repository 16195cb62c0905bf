"""Delivery: ``Money``, the API's amount type — a decimal string in JSON, a ``Decimal`` in Python.

In: a string of ASCII digits, no sign, no blanks, no exponent, no leading zeros beyond one, and
one or two decimals after a point if any ("0.50" and "12" yes; " 5", "+5", "0005.10", "5.", ".5",
"٥" no), parsed to ``Decimal`` once; a JSON number is refused (a float cannot hold cents exactly).
Whether the value is allowed (positive, below a ceiling) is the domain's call, not this type's.
Out: always two decimals ("10.50", "-4.00"), whatever the Decimal's exponent.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator, StringConstraints
from pydantic_core import PydanticCustomError

MONEY_FORMAT = r"^(0|[1-9][0-9]*)(\.[0-9]{1,2})?$"
MAX_MONEY_LENGTH = 40
_MONEY_RE = re.compile(MONEY_FORMAT)
_HINT = 'must be a decimal string such as "12.50" (ASCII digits, at most 2 decimals, no sign)'


def parse_money(value: Any) -> Decimal:
    """A request's amount as a Decimal; a Decimal (from Python, never from JSON) passes as it is."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError("decimal_string", _HINT + ", not a JSON number")
    if not isinstance(value, str):
        raise PydanticCustomError("decimal_string", _HINT)
    if len(value) > MAX_MONEY_LENGTH:
        raise PydanticCustomError(
            "string_too_long",
            "String should have at most {max_length} characters",
            {"max_length": MAX_MONEY_LENGTH},
        )
    if not _MONEY_RE.fullmatch(value):
        raise PydanticCustomError("decimal_string", _HINT + ', got "{value}"', {"value": value})
    return Decimal(value)


def format_money(value: Decimal) -> str:
    """An amount as the API shows it: a string with exactly two decimal places."""
    return f"{value:.2f}"


Money = Annotated[
    Decimal,
    PlainValidator(
        parse_money, json_schema_input_type=Annotated[str, StringConstraints(max_length=MAX_MONEY_LENGTH)]
    ),
    PlainSerializer(format_money, return_type=str),
]
