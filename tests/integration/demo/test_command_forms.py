"""The demo page's command forms: the same command bus as the API, refusals in words, never a 500."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from pymongo.database import Database

from accounts_write.contract import ACCOUNTS_COLLECTION

pytestmark = pytest.mark.django_db


def send(client: Client, kind: str, command_id: str | None = None, **fields: str) -> Any:
    data = {"command_id": command_id or str(uuid.uuid4()), **fields}
    return client.post(f"/demo/commands/{kind}/", data)


def opened(client: Client, owner: str = "Ada Lovelace", deposit: str = "100.00") -> str:
    response = send(client, "open", owner=owner, initial_deposit=deposit, currency="EUR")
    assert response.status_code == 200
    return str(response["HX-Replace-Url"].split("account=")[1])


def form_html(response: Any, kind: str) -> str:
    """The HTML of one form of the commands block (where its answer or refusal must appear)."""
    html = response.content.decode()
    match = re.search(rf'<form class="command" id="form-{kind}".*?</form>', html, re.S)
    assert match, html
    return match.group(0)


def balance(write_db: Database[Any], account_id: str) -> Decimal:
    document = write_db[ACCOUNTS_COLLECTION].find_one({"_id": uuid.UUID(account_id)})
    assert document is not None
    return Decimal(str(document["balance"].to_decimal()))


def test_opening_an_account_answers_next_to_the_form_and_selects_the_new_account(htmx: Client) -> None:
    response = send(htmx, "open", command_id="first-id", owner="Grace", initial_deposit="5", currency="USD")

    assert response.status_code == 200
    account_id = response["HX-Replace-Url"].split("account=")[1]
    form = form_html(response, "open")
    assert f"Opened account {account_id[:8]}: version 2, balance 5.00 (2 events)." in form
    assert "first-id" in form  # the answer names the command id it answers
    assert 'value="first-id"' not in form  # and the form got a fresh one for the next command
    html = response.content.decode()
    assert f'id="selected-account" name="selected" value="{account_id}" hx-swap-oob="true"' in html
    assert f'<option value="{account_id}" selected>' in form_html(response, "deposit")


def test_a_command_sent_twice_with_one_command_id_deposits_once_and_says_replayed(
    htmx: Client, write_db: Database[Any]
) -> None:
    account_id = opened(htmx)

    first = send(htmx, "deposit", command_id="twice", account=account_id, amount="5.00")
    second = send(htmx, "deposit", command_id="twice", account=account_id, amount="5.00")

    assert "Deposited into account" in form_html(first, "deposit")
    assert "Replayed" not in form_html(first, "deposit")
    assert "Replayed, nothing ran again" in form_html(second, "deposit")
    assert '<span class="badge">replayed</span>' in form_html(second, "deposit")
    assert balance(write_db, account_id) == Decimal("105.00")


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("abc", "Enter an amount as a number, such as 12.50."),
        ("", "This field is required."),
        ("-5", "Bad amount: amount must be greater than zero, got -5."),
        ("1.005", "Bad amount: amount must have at most 2 decimal places, got 1.005."),
        ("1e12", "Bad amount: amount must be at most 1000000000.00 per operation"),
    ],
)
def test_a_bad_amount_is_refused_in_words_next_to_the_form(htmx: Client, amount: str, words: str) -> None:
    account_id = opened(htmx)

    response = send(htmx, "deposit", account=account_id, amount=amount)

    assert response.status_code == 200
    assert words in form_html(response, "deposit")
    assert "HX-Replace-Url" not in response


def test_a_field_error_is_tied_to_its_field_for_screen_readers(htmx: Client) -> None:
    response = send(htmx, "withdraw", account="", amount="x")

    form = form_html(response, "withdraw")
    assert 'aria-invalid="true"' in form
    assert 'aria-describedby="withdraw-amount-error"' in form
    assert '<p class="field-error" id="withdraw-amount-error">' in form
    assert "Choose an account." in form


def test_an_overdraft_is_refused_in_words_and_the_form_keeps_its_values(htmx: Client) -> None:
    account_id = opened(htmx, deposit="10.00")

    response = send(htmx, "withdraw", command_id="keep-me", account=account_id, amount="50.00")

    form = form_html(response, "withdraw")
    assert 'role="alert"' in form
    assert f"Not enough money: account {account_id} holds 10.00 EUR, which does not cover 50.00 EUR." in form
    assert 'value="keep-me"' in form and 'value="50.00"' in form


def test_a_closed_account_refuses_a_deposit_in_words(htmx: Client) -> None:
    account_id = opened(htmx, deposit="")
    assert "Closed account" in form_html(send(htmx, "close", account=account_id), "close")

    response = send(htmx, "deposit", account=account_id, amount="1.00")

    assert f"Account closed: account {account_id} is closed." in form_html(response, "deposit")


@pytest.mark.parametrize(
    ("kind", "fields", "words"),
    [
        ("deposit", {"account": str(uuid.UUID(int=7)), "amount": "1"}, "No such account: account"),
        ("deposit", {"account": "not-an-id", "amount": "1"}, "Choose an account from the list."),
        ("open", {"owner": "   ", "currency": "EUR"}, "Bad owner name: owner must not be blank."),
        ("open", {"owner": "Ada", "currency": "XYZ"}, "Select a valid choice."),
        ("close", {}, "Choose an account."),
    ],
)
def test_other_refusals_are_words_never_a_500(
    htmx: Client, kind: str, fields: dict[str, str], words: str
) -> None:
    response = send(htmx, kind, **fields)

    assert response.status_code == 200
    assert words in form_html(response, kind)


def test_closing_an_account_with_money_on_it_is_refused_in_words(htmx: Client) -> None:
    account_id = opened(htmx, deposit="3.00")

    form = form_html(send(htmx, "close", account=account_id), "close")

    assert "Balance not zero: account" in form and "still holds 3.00 EUR" in form


def test_a_transfer_answers_for_both_accounts_and_refuses_a_self_transfer(
    htmx: Client, write_db: Any
) -> None:
    source, target = opened(htmx, "Ada", "20.00"), opened(htmx, "Bob", "")

    done = send(htmx, "transfer", from_account=source, to_account=target, amount="7.50")
    refused = send(htmx, "transfer", from_account=source, to_account=source, amount="1")

    assert f"account {target[:8]} is at version 2, balance 7.50" in form_html(done, "transfer")
    assert balance(write_db, source) == Decimal("12.50")
    assert "Same account twice: account" in form_html(refused, "transfer")


def test_without_javascript_a_form_answers_with_the_whole_page(client: Client, write_db: Any) -> None:
    response = send(client, "open", owner="Plain Browser", initial_deposit="1", currency="EUR")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Write side (MongoDB)" in html and "Read side (MySQL)" in html
    assert "Opened account" in html
    assert "hx-swap-oob" not in html


def test_an_unknown_command_is_a_404_and_a_get_is_refused(client: Client) -> None:
    assert client.post("/demo/commands/explode/", {}).status_code == 404
    assert client.get("/demo/commands/open/").status_code == 405


@pytest.mark.slow
def test_with_mongodb_down_a_command_is_refused_in_words(client: Client, mongo_down: None) -> None:
    client.defaults["HTTP_HX_REQUEST"] = "true"

    response = send(client, "open", owner="Ada", currency="EUR")

    assert response.status_code == 200
    assert (
        "Write database unavailable: the write database (MongoDB) cannot be reached; nothing was changed"
        in (form_html(response, "open"))
    )
