"""Delivery: request and response bodies of the write API (pydantic, shown in the OpenAPI schema)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from accounts_write.application.results import AccountCommandResult, AccountState, TransferResult

DECIMAL_PATTERN = r"^[+-]?\d+(\.\d+)?$"
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)
_DECIMAL_HINT = 'must be a decimal string such as "12.50"'


def _reject_non_strings(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PydanticCustomError("decimal_string", _DECIMAL_HINT)
    if isinstance(value, int | float):
        raise PydanticCustomError("decimal_string", _DECIMAL_HINT + ", not a JSON number")
    return value


def _require_decimal_format(value: str) -> str:
    if not _DECIMAL_RE.match(value.strip()):
        raise PydanticCustomError("decimal_string", _DECIMAL_HINT + ', got "{value}"', {"value": value})
    return value.strip()


DecimalString = Annotated[
    str,
    BeforeValidator(_reject_non_strings),
    AfterValidator(_require_decimal_format),
    Field(max_length=40, examples=["12.50"], json_schema_extra={"pattern": DECIMAL_PATTERN}),
]


def money(value: Decimal) -> str:
    """An amount as the API shows it: a string with exactly two decimal places."""
    return f"{value:.2f}"


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class OpenAccountIn(StrictSchema):
    owner: str = Field(examples=["Ada Lovelace"], description="Non-blank, at most 200 characters.")
    initial_deposit: DecimalString | None = Field(None, description="Omitted or zero: opens empty.")
    currency: str = Field("EUR", description="One of EUR, USD, GBP, CHF.")


class AmountIn(StrictSchema):
    amount: DecimalString = Field(description="Greater than zero, at most 2 decimal places.")


class TransferIn(StrictSchema):
    from_account: UUID
    to_account: UUID
    amount: DecimalString


class AccountCommandOut(Schema):
    account_id: UUID
    version: int
    balance: str = Field(examples=["12.50"])
    event_ids: list[UUID]
    command_id: str

    @classmethod
    def of(cls, result: AccountCommandResult) -> AccountCommandOut:
        return cls(
            account_id=result.account_id,
            version=result.version,
            balance=money(result.balance),
            event_ids=list(result.event_ids),
            command_id=result.command_id,
        )


class AccountStateOut(Schema):
    account_id: UUID
    version: int
    balance: str = Field(examples=["12.50"])

    @classmethod
    def of(cls, state: AccountState) -> AccountStateOut:
        return cls(account_id=state.account_id, version=state.version, balance=money(state.balance))


class TransferOut(Schema):
    transfer_id: UUID
    from_account: AccountStateOut
    to_account: AccountStateOut
    event_ids: list[UUID]
    command_id: str

    @classmethod
    def of(cls, result: TransferResult) -> TransferOut:
        return cls(
            transfer_id=result.transfer_id,
            from_account=AccountStateOut.of(result.from_account),
            to_account=AccountStateOut.of(result.to_account),
            event_ids=list(result.event_ids),
            command_id=result.command_id,
        )
