"""Read side: the MySQL read models the projector maintains (account view, ledger, daily totals)."""

from __future__ import annotations

from django.db import models


class AccountStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class LedgerEntryType(models.TextChoices):
    DEPOSIT = "deposit", "Deposit"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    TRANSFER_OUT = "transfer_out", "Transfer sent"
    TRANSFER_IN = "transfer_in", "Transfer received"


def money(**options: object) -> models.DecimalField:
    """A money column: Decimal with 2 places, room for 18 digits before the point."""
    return models.DecimalField(max_digits=20, decimal_places=2, **options)  # type: ignore[arg-type]


class AccountView(models.Model):
    """One row per bank account; ``version`` is the last aggregate version applied to it."""

    account_id = models.UUIDField(primary_key=True)
    owner = models.CharField(max_length=200, db_index=True)
    currency = models.CharField(max_length=3)
    balance = money()
    status = models.CharField(max_length=10, choices=AccountStatus.choices, db_index=True)
    version = models.PositiveIntegerField()
    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("opened_at", "account_id")
        verbose_name = "account"

    def __str__(self) -> str:
        return f"{self.owner} {self.account_id} ({self.balance} {self.currency}, v{self.version})"


class LedgerLine(models.Model):
    """One line per money event of an account: signed amount and the balance after it."""

    event_id = models.UUIDField(unique=True)
    account = models.ForeignKey(
        AccountView, on_delete=models.CASCADE, related_name="ledger_lines", db_column="account_id"
    )
    aggregate_version = models.PositiveIntegerField()
    entry_type = models.CharField(max_length=20, choices=LedgerEntryType.choices)
    # Signed: credits positive, debits negative.
    amount = money()
    balance_after = money()
    counterparty_id = models.UUIDField(null=True, blank=True)
    transfer_id = models.UUIDField(null=True, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ("account_id", "aggregate_version")
        constraints = [
            models.UniqueConstraint(
                fields=("account", "aggregate_version"), name="ledger_line_one_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} v{self.aggregate_version} {self.entry_type} {self.amount}"


class DailyTotal(models.Model):
    """Money moved per UTC day and currency (a transfer counts once, on the sending side)."""

    day = models.DateField()
    currency = models.CharField(max_length=3)
    deposited = money(default=0)
    withdrawn = money(default=0)
    transferred = money(default=0)
    deposit_count = models.PositiveIntegerField(default=0)
    withdrawal_count = models.PositiveIntegerField(default=0)
    transfer_count = models.PositiveIntegerField(default=0)
    accounts_opened = models.PositiveIntegerField(default=0)
    accounts_closed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-day", "currency")
        constraints = [
            models.UniqueConstraint(fields=("day", "currency"), name="daily_total_one_per_day_currency"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.currency}"
