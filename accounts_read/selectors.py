"""Read side: queries over the read models (MySQL only — never MongoDB)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from django.db.models import BinaryField, QuerySet
from django.db.models.expressions import RawSQL

from accounts_read.models import AccountView, DailyTotal, LedgerLine

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    count: int
    limit: int
    offset: int


@dataclass(frozen=True)
class VersionedRead:
    """An account read that waited for ``min_version``; ``reached`` says whether it got there."""

    account: AccountView | None
    reached: bool


def account_list(*, status: str | None = None, owner: str | None = None) -> QuerySet[AccountView]:
    """The accounts, oldest first, of one status and one exact owner if given."""
    accounts: QuerySet[AccountView] = AccountView.objects.all()
    if status:
        accounts = accounts.filter(status=status)
    if owner:
        accounts = exactly_owned_by(accounts, owner)
    return accounts


def exactly_owned_by(accounts: QuerySet[AccountView], owner: str) -> QuerySet[AccountView]:
    """The accounts whose owner is ``owner`` code point for code point.

    The column's collation (utf8mb4_unicode_ci) finds the candidates through the owner index, but
    it equates "ada", "Ada" and "Ádá", every emoji, and "Ada" with "Ada "; the byte comparison
    (binary strings have no padding) keeps only the exact name.
    """
    as_bytes = RawSQL("CAST(owner AS BINARY)", (), output_field=BinaryField())
    return accounts.filter(owner=owner).alias(owner_bytes=as_bytes).filter(owner_bytes=owner.encode("utf-8"))


def account_detail(account_id: uuid.UUID) -> AccountView | None:
    return AccountView.objects.filter(account_id=account_id).first()


def account_at_version(
    account_id: uuid.UUID, min_version: int, *, timeout: float, poll: float
) -> VersionedRead:
    """Read-your-writes: poll the read model until it reaches ``min_version`` or ``timeout`` passes."""
    started = time.monotonic()
    while True:
        account = account_detail(account_id)
        waited = time.monotonic() - started
        if account is not None and account.version >= min_version:
            return VersionedRead(account, True)
        if waited >= timeout:
            return VersionedRead(account, False)
        time.sleep(min(poll, max(0.0, timeout - waited)))


def ledger_lines(account_id: uuid.UUID) -> QuerySet[LedgerLine]:
    """An account's ledger lines, oldest first."""
    return LedgerLine.objects.filter(account_id=account_id).order_by("aggregate_version")


def daily_totals(
    *, currency: str | None = None, since: date | None = None, limit: int = 31
) -> list[DailyTotal]:
    totals = DailyTotal.objects.all()
    if currency:
        totals = totals.filter(currency=currency)
    if since:
        totals = totals.filter(day__gte=since)
    return list(totals.order_by("-day", "currency")[:limit])


def newest_accounts(limit: int) -> Page[AccountView]:
    """The ``limit`` most recently opened accounts, newest first."""
    accounts = AccountView.objects.order_by("-opened_at", "-account_id")
    return Page(list(accounts[:limit]), AccountView.objects.count(), limit, 0)


def latest_ledger_lines(account_id: uuid.UUID, limit: int) -> Page[LedgerLine]:
    """An account's last ``limit`` ledger lines, oldest of them first."""
    lines = LedgerLine.objects.filter(account_id=account_id)
    latest = list(lines.order_by("-aggregate_version")[:limit])
    return Page(latest[::-1], lines.count(), limit, 0)
