"""Unit: ``config.money.Money`` — a request's amount parsed to Decimal once, every amount shown with
two decimals, the same type on the write side's and the read side's schemas."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pydantic
import pytest

from config.money import MAX_MONEY_LENGTH, Money


class Body(pydantic.BaseModel):
    amount: Money


def errors_for(value: Any) -> list[Any]:
    with pytest.raises(pydantic.ValidationError) as caught:
        Body.model_validate({"amount": value})
    return caught.value.errors()


@pytest.mark.parametrize(("raw", "parsed"), [("0", "0"), ("12", "12"), ("12.5", "12.5"), ("0.05", "0.05")])
def test_a_decimal_string_is_parsed_to_its_decimal(raw: str, parsed: str) -> None:
    amount = Body.model_validate({"amount": raw}).amount
    assert isinstance(amount, Decimal)
    assert amount == Decimal(parsed)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("10.5"), "10.50"),
        (Decimal("-4"), "-4.00"),
        (Decimal("0E-10"), "0.00"),
        (Decimal("7.25"), "7.25"),
    ],
)
def test_an_amount_is_shown_with_two_decimals(value: Decimal, shown: str) -> None:
    body = Body.model_validate({"amount": value})
    assert body.model_dump() == {"amount": shown}
    assert body.model_dump_json() == f'{{"amount":"{shown}"}}'


@pytest.mark.parametrize("value", [" 5", "+5", "-5", "0005.10", "5.", ".5", "1e2", "5.001", "٥", "NaN", ""])
def test_a_string_outside_the_format_is_refused_and_quoted(value: str) -> None:
    [error] = errors_for(value)
    assert error["type"] == "decimal_string"
    assert f'got "{value}"' in error["msg"]


@pytest.mark.parametrize("value", [12.5, 12])
def test_a_json_number_is_refused(value: Any) -> None:
    [error] = errors_for(value)
    assert (error["type"], error["msg"].endswith("not a JSON number")) == ("decimal_string", True)


@pytest.mark.parametrize("value", [True, None, ["1"]])
def test_other_json_values_are_refused(value: Any) -> None:
    [error] = errors_for(value)
    assert error["type"] == "decimal_string"
    assert "JSON number" not in error["msg"]


def test_a_string_too_long_is_refused_before_its_format_is_read() -> None:
    [error] = errors_for("1" * (MAX_MONEY_LENGTH + 1))
    assert error["type"] == "string_too_long"
    assert error["msg"] == f"String should have at most {MAX_MONEY_LENGTH} characters"
    assert Body.model_validate({"amount": "1" * MAX_MONEY_LENGTH}).amount == Decimal("1" * MAX_MONEY_LENGTH)


def test_the_schema_shows_a_string_both_ways() -> None:
    taken = Body.model_json_schema(mode="validation")["properties"]["amount"]
    given = Body.model_json_schema(mode="serialization")["properties"]["amount"]
    assert (taken["type"], taken["maxLength"]) == ("string", MAX_MONEY_LENGTH)
    assert given["type"] == "string"
