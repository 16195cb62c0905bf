"""Read side: the MySQL read models the projector maintains (account view, ledger, daily totals).

Each model's columns live in an abstract base, so that the projector's replay can build identical
shadow tables (``CREATE TABLE … LIKE``) and swap them in; the concrete models add the names,
constraints and admin options. No database-level foreign key: a ``RENAME TABLE`` swap cannot
carry one, and the projector, the only writer, keeps ledger lines and accounts consistent.
"""

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


class AccountViewColumns(models.Model):
    """The columns of an account view (see AccountView)."""

    account_id = models.UUIDField(primary_key=True)
    owner = models.CharField(max_length=200, db_index=True)
    currency = models.CharField(max_length=3)
    balance = money()
    status = models.CharField(max_length=10, choices=AccountStatus.choices, db_index=True)
    version = models.PositiveIntegerField()
    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set when the account needs an operator: an event of it is a dead letter, or was skipped.
    attention = models.CharField(max_length=500, blank=True, default="")
    attention_event_id = models.UUIDField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def needs_attention(self) -> bool:
        return bool(self.attention)


class AccountView(AccountViewColumns):
    """One row per bank account; ``version`` is the last aggregate version applied to it."""

    class Meta:
        ordering = ("opened_at", "account_id")
        verbose_name = "account"

    def __str__(self) -> str:
        return f"{self.owner} {self.account_id} ({self.balance} {self.currency}, v{self.version})"


class LedgerLineColumns(models.Model):
    """The columns of a ledger line, except its account (see LedgerLine)."""

    event_id = models.UUIDField(unique=True)
    aggregate_version = models.PositiveIntegerField()
    entry_type = models.CharField(max_length=20, choices=LedgerEntryType.choices)
    # Signed: credits positive, debits negative.
    amount = money()
    balance_after = money()
    counterparty_id = models.UUIDField(null=True, blank=True)
    transfer_id = models.UUIDField(null=True, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        abstract = True


class LedgerLine(LedgerLineColumns):
    """One line per money event of an account: signed amount and the balance after it."""

    account = models.ForeignKey(
        AccountView,
        on_delete=models.CASCADE,
        related_name="ledger_lines",
        db_column="account_id",
        db_constraint=False,
    )

    class Meta:
        ordering = ("account_id", "aggregate_version")
        constraints = [
            models.UniqueConstraint(
                fields=("account", "aggregate_version"), name="ledger_line_one_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} v{self.aggregate_version} {self.entry_type} {self.amount}"


class DailyTotalColumns(models.Model):
    """The columns of a daily total (see DailyTotal)."""

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
        abstract = True


class DailyTotal(DailyTotalColumns):
    """Money moved per UTC day and currency (a transfer counts once, on the sending side)."""

    class Meta:
        ordering = ("-day", "currency")
        constraints = [
            models.UniqueConstraint(fields=("day", "currency"), name="daily_total_one_per_day_currency"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.currency}"
