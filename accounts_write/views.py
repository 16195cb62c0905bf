"""Delivery: the demo page's write side — the write pane (MongoDB as it is) and the command forms.

Thin: forms parse, ``bootstrap.handle`` runs the command on the same bus as the JSON API, and
refusals are shown in words next to the form that was sent. The page shell (``config``) places
these parts; a form's answer is the commands block again, with fresh command ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from pymongo.errors import PyMongoError

from accounts_write import bootstrap
from accounts_write.adapters import listing
from accounts_write.application import errors as app
from accounts_write.application.results import AccountCommandResult, CommandResult, TransferResult
from accounts_write.domain import errors as domain
from accounts_write.forms import FORMS, CommandForm
from config.apikeys import scoped_command_id, user_namespace
from config.mongo import write_database
from config.selection import selected_account

logger = logging.getLogger(__name__)

PANE_ACCOUNTS = 8
PANE_OUTBOX_ENTRIES = 8
FORM_ACCOUNTS = 50
UNREACHABLE = "MongoDB cannot be reached right now"

# What a person reads when the write side refuses a command (the exception adds the specifics).
REFUSALS: dict[type[Exception], str] = {
    domain.InvalidAmountError: "Bad amount",
    domain.InvalidCurrencyError: "Unsupported currency",
    domain.InvalidOwnerError: "Bad owner name",
    app.AccountNotFoundError: "No such account",
    domain.InsufficientFundsError: "Not enough money",
    domain.AccountClosedError: "Account closed",
    domain.CurrencyMismatchError: "Different currencies",
    domain.SelfTransferError: "Same account twice",
    domain.BalanceNotZeroError: "Balance not zero",
    app.IdempotencyKeyReusedError: "Command id already used",
    app.ConcurrencyConflictError: "Too many concurrent changes",
    app.WriteStoreError: "Write database unavailable",
}
VERBS = {"open": "Opened", "deposit": "Deposited into", "withdraw": "Withdrew from", "close": "Closed"}


@dataclass(frozen=True)
class Answer:
    """What the write side answered to one command, in words."""

    kind: str
    text: str
    replayed: bool
    command_id: str
    account_id: UUID


def refusal(exc: Exception) -> str:
    heading = next((words for kind, words in REFUSALS.items() if isinstance(exc, kind)), "Refused")
    detail = str(exc)
    if isinstance(exc, app.WriteStoreError):
        detail += "; nothing was changed, try again in a moment"
    return f"{heading}: {detail}."


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _short(account_id: UUID) -> str:
    return str(account_id)[:8]


def describe(kind: str, result: CommandResult, command_id: str) -> Answer:
    if isinstance(result, TransferResult):
        source, target = result.from_account, result.to_account
        text = (
            f"Transferred: account {_short(source.account_id)} is at version {source.version}, balance "
            f"{_money(source.balance)}; account {_short(target.account_id)} is at version "
            f"{target.version}, balance {_money(target.balance)}"
        )
        account_id = source.account_id
    else:
        assert isinstance(result, AccountCommandResult)
        text = (
            f"{VERBS[kind]} account {_short(result.account_id)}: version {result.version}, "
            f"balance {_money(result.balance)}"
        )
        account_id = result.account_id
    events = len(result.event_ids)
    text += f" ({events} event{'s' if events != 1 else ''})."
    if result.replayed:
        text = "Replayed, nothing ran again: this command id was already handled. First answer: " + text
    return Answer(kind, text, result.replayed, command_id, account_id)


def account_choices() -> list[tuple[str, str]]:
    """The accounts a form offers (newest first), labelled as MongoDB holds them."""
    try:
        rows, _ = listing.recent_accounts(write_database(), FORM_ACCOUNTS)
    except PyMongoError as exc:
        logger.warning("demo forms: no account list, %s: %s", UNREACHABLE, exc)
        return []
    return [
        (
            str(row.account_id),
            f"{row.owner} · {_short(row.account_id)} · {_money(row.balance)} {row.currency}"
            + (" (closed)" if row.status != "open" else ""),
        )
        for row in rows
    ]


def commands_context(
    selected: UUID | None, sent: CommandForm | None = None, answer: Answer | None = None
) -> dict[str, Any]:
    """Every command form (fresh command ids), the one just sent kept as it was if it was refused."""
    choices = account_choices()
    forms: list[CommandForm] = []
    for form_class in FORMS.values():
        if sent is not None and sent.kind == form_class.kind and answer is None:
            form = sent
        else:
            form = form_class(initial={"command_id": bootstrap.new_command_id()})
        form.offer_accounts(choices, selected)
        forms.append(form)
    return {"command_forms": forms, "answer": answer, "selected": selected}


@dataclass(frozen=True)
class CommandOutcome:
    context: dict[str, Any]
    selected: UUID | None
    succeeded: bool


def run_command_form(request: HttpRequest, form_class: type[CommandForm]) -> CommandOutcome:
    """Parse the posted form, run its command once per (user, command id), and say what happened."""
    form = form_class(request.POST)
    answer: Answer | None = None
    if form.is_valid():
        command_id = form.cleaned_data["command_id"]
        try:
            result = bootstrap.handle(
                form.command(), scoped_command_id(user_namespace(request.user), command_id)
            )
        except (domain.DomainError, app.ApplicationError) as exc:
            form.add_error(None, refusal(exc))
        else:
            answer = describe(form.kind, result, command_id)
    selected = answer.account_id if answer is not None else selected_account(request)
    return CommandOutcome(commands_context(selected, form, answer), selected, answer is not None)


def write_pane_context(selected: UUID | None) -> dict[str, Any]:
    try:
        database = write_database()
        accounts, total = listing.recent_accounts(database, PANE_ACCOUNTS)
        entries = listing.latest_outbox_entries(database, PANE_OUTBOX_ENTRIES)
    except PyMongoError as exc:
        logger.warning("demo write pane: %s: %s", UNREACHABLE, exc)
        return {"write_error": f"{UNREACHABLE}; commands are refused until it is back.", "selected": selected}
    return {"write_accounts": accounts, "write_total": total, "outbox_entries": entries, "selected": selected}


def write_pane(request: HttpRequest) -> HttpResponse:
    """The write pane's live part (polled by the page)."""
    return render(request, "accounts_write/pane.html", write_pane_context(selected_account(request)))
