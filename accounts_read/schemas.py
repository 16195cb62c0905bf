"""Delivery: response bodies of the read API (amounts as decimal strings such as "12.50")."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from accounts_read.models import AccountView, DailyTotal, LedgerLine


def money(value: Decimal) -> str:
    return f"{value:.2f}"


class AccountOut(Schema):
    account_id: UUID
    owner: str
    currency: str
    balance: str = Field(examples=["12.50"])
    status: str = Field(examples=["open"])
    version: int = Field(description="The last write-side version applied to this view.")
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
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

    @classmethod
    def of(cls, view: AccountView, min_version_reached: bool | None = None) -> AccountOut:
        return cls(
            account_id=view.account_id,
            owner=view.owner,
            currency=view.currency,
            balance=money(view.balance),
            status=view.status,
            version=view.version,
            opened_at=view.opened_at,
            updated_at=view.updated_at,
            closed_at=view.closed_at,
            needs_attention=view.needs_attention,
            attention=view.attention or None,
            min_version_reached=min_version_reached,
        )


class AccountPageOut(Schema):
    items: list[AccountOut]
    count: int
    limit: int
    offset: int


class LedgerLineOut(Schema):
    event_id: UUID
    version: int
    entry_type: str = Field(examples=["deposit"])
    amount: str = Field(examples=["-20.00"], description="Signed: credits positive, debits negative.")
    balance_after: str
    counterparty: UUID | None
    transfer_id: UUID | None
    occurred_at: datetime

    @classmethod
    def of(cls, line: LedgerLine) -> LedgerLineOut:
        return cls(
            event_id=line.event_id,
            version=line.aggregate_version,
            entry_type=line.entry_type,
            amount=money(line.amount),
            balance_after=money(line.balance_after),
            counterparty=line.counterparty_id,
            transfer_id=line.transfer_id,
            occurred_at=line.occurred_at,
        )


class LedgerPageOut(Schema):
    account_id: UUID
    items: list[LedgerLineOut]
    count: int
    limit: int
    offset: int


class DailyTotalOut(Schema):
    day: date
    currency: str
    deposited: str
    withdrawn: str
    transferred: str
    deposit_count: int
    withdrawal_count: int
    transfer_count: int
    accounts_opened: int
    accounts_closed: int

    @classmethod
    def of(cls, total: DailyTotal) -> DailyTotalOut:
        return cls(
            day=total.day,
            currency=total.currency,
            deposited=money(total.deposited),
            withdrawn=money(total.withdrawn),
            transferred=money(total.transferred),
            deposit_count=total.deposit_count,
            withdrawal_count=total.withdrawal_count,
            transfer_count=total.transfer_count,
            accounts_opened=total.accounts_opened,
            accounts_closed=total.accounts_closed,
        )
