"""Delivery: request and response bodies of the write API (pydantic, shown in the OpenAPI schema)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from accounts_write.domain.model import MAX_OPERATION_AMOUNT, MAX_OWNER_LENGTH, Currency
from config.money import Money


def _positive_amount_body() -> str:
    """Greater than zero and at most MAX_OPERATION_AMOUNT, in the money format (what the domain takes)."""
    top = int(MAX_OPERATION_AMOUNT)
    digits = str(top)
    assert digits == "1" + "0" * (len(digits) - 1) and top == MAX_OPERATION_AMOUNT, "a power of ten"
    below_top = rf"[1-9][0-9]{{0,{len(digits) - 2}}}(\.[0-9]{{1,2}})?"
    return rf"0\.(0[1-9]|[1-9][0-9]?)|{below_top}|{digits}(\.00?)?"


# The patterns the OpenAPI document publishes: exactly what is accepted, checks of the format here
# (422 validation_error) and of the value in the domain (422 invalid_amount) together.
AMOUNT_PATTERN = rf"^({_positive_amount_body()})$"
INITIAL_DEPOSIT_PATTERN = rf"^(0(\.00?)?|{_positive_amount_body()})$"


Amount = Annotated[Money, Field(examples=["12.50"], json_schema_extra={"pattern": AMOUNT_PATTERN})]
InitialDeposit = Annotated[
    Money, Field(examples=["100.00"], json_schema_extra={"pattern": INITIAL_DEPOSIT_PATTERN})
]

# An owner's name: anything people use (letters of any script, ZWJ emoji sequences, ZWNJ, no-break
# spaces, combining marks) but not blank and without control characters or line separators; the
# domain checks it (422 invalid_owner), and this pattern says the same in the OpenAPI document.
_NOT_IN_NAMES = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_BLANKS = r" \xa0\u1680\u2000-\u200a\u202f\u205f\u3000"
OWNER_PATTERN = rf"^[^{_NOT_IN_NAMES}]*[^{_NOT_IN_NAMES}{_BLANKS}][^{_NOT_IN_NAMES}]*$"


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class OpenAccountIn(StrictSchema):
    owner: str = Field(
        max_length=MAX_OWNER_LENGTH,
        examples=["Ada Lovelace"],
        description="Not blank, at most 200 characters, no control characters; outer blanks are dropped.",
        json_schema_extra={"pattern": OWNER_PATTERN},
    )
    initial_deposit: InitialDeposit | None = Field(None, description="Omitted or zero: opens empty.")
    currency: str = Field(
        "EUR",
        description="One of EUR, USD, GBP, CHF.",
        json_schema_extra={"enum": [currency.value for currency in Currency]},
    )


class AmountIn(StrictSchema):
    amount: Amount = Field(description="Greater than zero, at most 1000000000.00, at most 2 decimal places.")


class TransferIn(StrictSchema):
    from_account: UUID
    to_account: UUID
    amount: Amount = Field(description="Greater than zero, at most 1000000000.00, at most 2 decimal places.")


class AccountCommandOut(Schema):
    account_id: UUID
    version: int
    balance: Money = Field(examples=["12.50"])
    event_ids: list[UUID]
    command_id: str


class AccountStateOut(Schema):
    account_id: UUID
    version: int
    balance: Money = Field(examples=["12.50"])


class TransferOut(Schema):
    transfer_id: UUID
    from_account: AccountStateOut
    to_account: AccountStateOut
    event_ids: list[UUID]
    command_id: str
