"""Delivery: response bodies of the read API, drawn from the read models (amounts as "12.50")."""

from __future__ import annotations

from uuid import UUID

from ninja import ModelSchema
from pydantic import ConfigDict, Field

from accounts_read.models import AccountView, DailyTotal, LedgerLine
from config.money import Money

# Every field of an answer is always sent (null or default included): the document says required.
ALWAYS_SENT = ConfigDict(json_schema_serialization_defaults_required=True)


class AccountOut(ModelSchema):
    model_config = ALWAYS_SENT

    account_id: UUID
    balance: Money = Field(examples=["12.50"])
    status: str = Field(examples=["open"])
    version: int = Field(description="The last write-side version applied to this view.")
    needs_attention: bool = Field(
        False,
        description="An event of this account is a dead letter, or was skipped by an operator: "
        "the view may lack its effect (see `attention`, and `manage.py deadletters`).",
    )
    attention: str | None = Field(None, description="Why the account needs attention (null: it does not).")
    min_version_reached: bool | None = Field(
        None,
        description="With ?min_version=N: whether this view reached N within the wait (null: not asked).",
    )

    class Meta:
        model = AccountView
        fields = (
            "account_id", "owner", "currency", "balance", "status", "version",
            "opened_at", "updated_at", "closed_at",
        )  # fmt: skip

    @staticmethod
    def resolve_attention(view: AccountView) -> str | None:
        return view.attention or None

    @classmethod
    def of(cls, view: AccountView, min_version_reached: bool | None = None) -> AccountOut:
        return cls.from_orm(view).model_copy(update={"min_version_reached": min_version_reached})


class LedgerLineOut(ModelSchema):
    model_config = ALWAYS_SENT

    version: int
    entry_type: str = Field(examples=["deposit"])
    amount: Money = Field(examples=["-20.00"], description="Signed: credits positive, debits negative.")
    balance_after: Money
    counterparty: UUID | None

    class Meta:
        model = LedgerLine
        fields = ("event_id", "entry_type", "amount", "balance_after", "transfer_id", "occurred_at")

    @staticmethod
    def resolve_version(line: LedgerLine) -> int:
        return line.aggregate_version

    @staticmethod
    def resolve_counterparty(line: LedgerLine) -> UUID | None:
        return line.counterparty_id


class DailyTotalOut(ModelSchema):
    model_config = ALWAYS_SENT

    deposited: Money
    withdrawn: Money
    transferred: Money

    class Meta:
        model = DailyTotal
        exclude = ("id",)
