"""Sync engine persistence: the read-model tables a projection writes to — live, or a replay's shadow.

A full replay builds its result in shadow tables created ``LIKE`` the live ones (same columns and
indexes), then swaps them in with one ``RENAME TABLE``. The shadow models here are unmanaged twins
of the read models on those tables; ``ReadTables`` tells ``apply_events`` which set to write.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from accounts_read.models import (
    AccountView,
    AccountViewColumns,
    DailyTotal,
    DailyTotalColumns,
    LedgerLine,
    LedgerLineColumns,
)

SHADOW_SUFFIX = "_shadow"
RETIRED_SUFFIX = "_retired"


class AccountViewShadow(AccountViewColumns):
    class Meta:
        managed = False
        app_label = "projector"
        db_table = AccountView._meta.db_table + SHADOW_SUFFIX


class LedgerLineShadow(LedgerLineColumns):
    account = models.ForeignKey(
        AccountViewShadow,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_column="account_id",
        db_constraint=False,
    )

    class Meta:
        managed = False
        app_label = "projector"
        db_table = LedgerLine._meta.db_table + SHADOW_SUFFIX


class DailyTotalShadow(DailyTotalColumns):
    class Meta:
        managed = False
        app_label = "projector"
        db_table = DailyTotal._meta.db_table + SHADOW_SUFFIX


@dataclass(frozen=True)
class ReadTables:
    """The three read-model classes one projection writes through."""

    account: type[AccountViewColumns]
    ledger: type[LedgerLineColumns]
    daily: type[DailyTotalColumns]
    live: bool

    @property
    def models(self) -> tuple[type[models.Model], ...]:
        return (self.account, self.ledger, self.daily)


LIVE = ReadTables(AccountView, LedgerLine, DailyTotal, live=True)
SHADOW = ReadTables(AccountViewShadow, LedgerLineShadow, DailyTotalShadow, live=False)
