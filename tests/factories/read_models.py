"""Test factories: read-model rows (account view, ledger line, daily total) with factory-boy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts_read.models import AccountStatus, AccountView, DailyTotal, LedgerEntryType, LedgerLine


class AccountViewFactory(DjangoModelFactory[AccountView]):
    class Meta:
        model = AccountView

    account_id = factory.LazyFunction(uuid.uuid4)
    owner = factory.Sequence(lambda n: f"Owner {n}")
    currency = "EUR"
    balance = Decimal("0.00")
    status = AccountStatus.OPEN
    version = 1
    opened_at = factory.LazyFunction(lambda: datetime.now(UTC))
    updated_at = factory.SelfAttribute("opened_at")
    closed_at = None


class LedgerLineFactory(DjangoModelFactory[LedgerLine]):
    class Meta:
        model = LedgerLine

    event_id = factory.LazyFunction(uuid.uuid4)
    account = factory.SubFactory(AccountViewFactory)
    aggregate_version = factory.Sequence(lambda n: n + 2)
    entry_type = LedgerEntryType.DEPOSIT
    amount = Decimal("10.00")
    balance_after = Decimal("10.00")
    counterparty_id = None
    transfer_id = None
    occurred_at = factory.LazyFunction(lambda: datetime.now(UTC))


class DailyTotalFactory(DjangoModelFactory[DailyTotal]):
    class Meta:
        model = DailyTotal

    day = factory.LazyFunction(lambda: datetime.now(UTC).date())
    currency = "EUR"
