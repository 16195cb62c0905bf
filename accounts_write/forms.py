"""Delivery: the demo page's command forms — parse a form into a command; the domain judges it.

Fields only parse (an amount must be a number, an account a UUID); every business rule (amount
positive with two places, no overdraft, closed accounts...) is the domain's, whose refusal the
view shows in words next to the form. ``command_id`` is a hidden field: a double submit repeats
the same command id, which the command bus answers as a replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from uuid import UUID

from django import forms

from accounts_write.domain.commands import (
    CloseAccount,
    Command,
    DepositFunds,
    OpenAccount,
    TransferFunds,
    WithdrawFunds,
)
from accounts_write.domain.model import DEFAULT_CURRENCY, Currency

AccountChoices = Sequence[tuple[str, str]]


class AmountField(forms.CharField):
    """A decimal number as typed ("12.50"); whether it is an acceptable amount is the domain's call."""

    default_error_messages = {"invalid": "Enter an amount as a number, such as 12.50."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if text is None or text in self.empty_values:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not amount.is_finite():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return amount


class AccountField(forms.UUIDField):
    """An account chosen from a list (or any account id: one not listed may still exist)."""

    default_error_messages = {"invalid": "Choose an account from the list.", "required": "Choose an account."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=forms.Select, **kwargs)


class CommandForm(forms.Form):
    """One command's form: its kind (URL segment), heading and button name, and the hidden command id."""

    kind: ClassVar[str]
    title: ClassVar[str]
    button: ClassVar[str]
    account_fields: ClassVar[tuple[str, ...]] = ()

    command_id = forms.CharField(widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Five forms on one page: ids must not clash ("deposit-amount", "withdraw-amount"...).
        kwargs.setdefault("auto_id", f"{self.kind}-%s")
        super().__init__(*args, **kwargs)

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:  # a screen reader reads the error with the field
                attrs = self.fields[name].widget.attrs
                attrs.update({"aria-invalid": "true", "aria-describedby": f"{self.kind}-{name}-error"})

    def offer_accounts(self, accounts: AccountChoices, selected: UUID | None) -> None:
        """Fill the account lists; an unsent form starts on the selected account (as the source)."""
        for name in self.account_fields:
            field = self.fields[name]
            field.widget.choices = [("", "Choose an account"), *accounts]
            if selected is not None and name != "to_account":
                field.initial = str(selected)

    def command(self) -> Command:
        raise NotImplementedError(f"{type(self).__name__} does not say which command it sends")


class OpenAccountForm(CommandForm):
    kind, title, button = "open", "Open an account", "Open account"

    owner = forms.CharField(label="Owner", strip=False, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    initial_deposit = AmountField(label="Initial deposit", required=False)
    currency = forms.ChoiceField(
        label="Currency", choices=[(c.value, c.value) for c in Currency], initial=DEFAULT_CURRENCY.value
    )

    def command(self) -> OpenAccount:
        data = self.cleaned_data
        return OpenAccount(
            owner=data["owner"], currency=data["currency"], initial_deposit=data["initial_deposit"]
        )


class MoneyMovementForm(CommandForm):
    """One account and an amount: deposit and withdraw."""

    command_class: ClassVar[type[DepositFunds] | type[WithdrawFunds]]
    account_fields = ("account",)

    account = AccountField(label="Account")
    amount = AmountField(label="Amount")

    def command(self) -> DepositFunds | WithdrawFunds:
        return self.command_class(account_id=self.cleaned_data["account"], amount=self.cleaned_data["amount"])


class DepositForm(MoneyMovementForm):
    kind, title, button, command_class = "deposit", "Deposit", "Deposit", DepositFunds


class WithdrawForm(MoneyMovementForm):
    kind, title, button, command_class = "withdraw", "Withdraw", "Withdraw", WithdrawFunds


class TransferForm(CommandForm):
    kind, title, button = "transfer", "Transfer", "Transfer"
    account_fields = ("from_account", "to_account")

    from_account = AccountField(label="From account")
    to_account = AccountField(label="To account")
    amount = AmountField(label="Amount")

    def command(self) -> TransferFunds:
        data = self.cleaned_data
        return TransferFunds(
            from_account=data["from_account"], to_account=data["to_account"], amount=data["amount"]
        )


class CloseForm(CommandForm):
    kind, title, button = "close", "Close an account", "Close account"
    account_fields = ("account",)

    account = AccountField(label="Account")

    def command(self) -> CloseAccount:
        return CloseAccount(account_id=self.cleaned_data["account"])


FORMS: dict[str, type[CommandForm]] = {
    form.kind: form for form in (OpenAccountForm, DepositForm, WithdrawForm, TransferForm, CloseForm)
}
