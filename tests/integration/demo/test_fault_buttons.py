"""The demo page's fault buttons on the selected account: poison and cure, retry and skip its dead
letter, corrupt its read row — each wired to the real operation, answered in words."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from pymongo.database import Database

from accounts_read.models import AccountView
from accounts_write.contract import OUTBOX_COLLECTION, OutboxStatus
from accounts_write.contract import OutboxField as F
from projector.control import POISON_ERROR, read_poisoned_account, set_poisoned
from tests.integration.demo.faults import FAULT_URLS, deposit, open_account, project, retry_until_settled

pytestmark = pytest.mark.django_db


@pytest.fixture
def faults(settings: Any) -> None:
    settings.DEMO_FAULTS = True
    settings.PROJECTOR_MAX_ATTEMPTS = 3
    settings.PROJECTOR_RETRY_BACKOFF_BASE_SECONDS = 0
    settings.PROJECTOR_RETRY_BACKOFF_MAX_SECONDS = 0


def entries(write_db: Database[Any], account_id: uuid.UUID) -> list[dict[str, Any]]:
    return list(
        write_db[OUTBOX_COLLECTION].find({F.AGGREGATE_ID: account_id}, sort=[(F.AGGREGATE_VERSION, 1)])
    )


def post(client: Client, url: str, account_id: uuid.UUID | None, **data: str) -> str:
    response = client.post(url, {"selected": str(account_id or ""), **data})
    assert response.status_code == 200
    return str(response.content.decode())


def poisoned_with_a_dead_letter(
    htmx: Client, write_db: Database[Any]
) -> tuple[uuid.UUID, list[dict[str, Any]]]:
    """Ada (v2, 100.00 projected), poisoned, then two deposits: v3 dead, v4 parked behind it."""
    ada = open_account(htmx)
    project()
    post(htmx, "/demo/faults/poison/", ada)
    deposit(htmx, ada, "5.00")
    deposit(htmx, ada, "7.00")
    project()
    retry_until_settled()
    return ada, entries(write_db, ada)


@pytest.mark.parametrize("url", FAULT_URLS)
def test_every_fault_button_is_a_404_unless_demo_faults_is_set(client: Client, url: str) -> None:
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 405
    assert read_poisoned_account() is None


def test_without_demo_faults_the_timeline_shows_no_fault_button(htmx: Client) -> None:
    ada = open_account(htmx)

    html = htmx.get(f"/demo/timeline/?selected={ada}").content.decode()

    assert "AccountOpened" in html
    assert "Poison this account" not in html and "Corrupt this account" not in html


def test_the_timeline_offers_poison_and_corrupt_for_the_selected_account(htmx: Client, faults: None) -> None:
    ada = open_account(htmx)

    html = htmx.get(f"/demo/timeline/?selected={ada}").content.decode()

    assert "Poison this account" in html and "Corrupt this account's read row" in html
    assert "Cure the poison" not in html  # nothing is poisoned


def test_poison_switches_the_selected_account_and_the_timeline_says_so(htmx: Client, faults: None) -> None:
    ada = open_account(htmx)

    html = post(htmx, "/demo/faults/poison/", ada)

    assert read_poisoned_account() == ada
    assert '<span class="badge poisoned">poisoned</span>' in html
    assert "Cure the poison" in html and "Poison this account" not in html
    assert "Poisoned: the projector now fails this account&#x27;s next event" in html
    assert "goes dead after 3 attempts" in html
    assert "poisoned" in htmx.get("/demo/sync/").content.decode()


def test_poison_without_a_selected_account_asks_to_choose_one(htmx: Client, faults: None) -> None:
    html = post(htmx, "/demo/faults/poison/", None)

    assert "Choose an account first" in html
    assert read_poisoned_account() is None


def test_poisoning_another_account_says_the_first_is_no_longer_poisoned(htmx: Client, faults: None) -> None:
    ada, bob = open_account(htmx, "Ada"), open_account(htmx, "Bob")
    set_poisoned(ada)

    html = post(htmx, "/demo/faults/poison/", bob)

    assert f"Account {str(ada)[:8]} is no longer poisoned" in html
    assert read_poisoned_account() == bob


def test_cure_clears_the_switch_and_says_whose_it_was(htmx: Client, faults: None) -> None:
    ada = open_account(htmx)
    set_poisoned(ada)

    cured = post(htmx, "/demo/faults/cure/", ada)
    again = post(htmx, "/demo/faults/cure/", ada)

    assert f"Cured: the projector applies the events of account {str(ada)[:8]} again" in cured
    assert "No account is poisoned: nothing to cure." in again
    assert read_poisoned_account() is None


def test_a_poisoned_account_shows_its_dead_letter_with_retry_and_skip_and_the_parked_event(
    htmx: Client, write_db: Database[Any], faults: None
) -> None:
    ada, (_, _, dead, parked) = poisoned_with_a_dead_letter(htmx, write_db)

    html = htmx.get(f"/demo/timeline/?selected={ada}").content.decode()

    assert (dead[F.STATUS], parked[F.STATUS]) == (OutboxStatus.DEAD, OutboxStatus.PARKED)
    assert '<span class="delivery status-dead">dead</span>' in html
    assert '<span class="delivery status-parked">parked</span>' in html
    assert POISON_ERROR.replace("'", "&#x27;") in html
    assert f'action="/demo/deadletters/{dead["_id"]}/retry/"' in html
    assert f'<label for="skip-reason-{dead["_id"]}">Reason for skipping</label>' in html
    assert html.count(">Retry</button>") == 1  # only the dead letter has them


def test_retry_while_poisoned_fails_again_and_says_so(
    htmx: Client, write_db: Database[Any], faults: None
) -> None:
    ada, (_, _, dead, _) = poisoned_with_a_dead_letter(htmx, write_db)

    html = post(htmx, f"/demo/deadletters/{dead['_id']}/retry/", ada)

    assert "Retry: failed again: demo fault: the projector was told to fail on this account" in html
    assert 'role="alert"' in html
    assert [entry[F.STATUS] for entry in entries(write_db, ada)[2:]] == [
        OutboxStatus.FAILED,
        OutboxStatus.PARKED,
    ]


def test_after_the_cure_retry_applies_the_dead_letter_and_releases_the_parked_event(
    htmx: Client, write_db: Database[Any], faults: None
) -> None:
    ada, (_, _, dead, _) = poisoned_with_a_dead_letter(htmx, write_db)
    post(htmx, "/demo/faults/cure/", ada)

    html = post(htmx, f"/demo/deadletters/{dead['_id']}/retry/", ada)

    assert "Retry: applied; 1 parked event released." in html
    assert [entry[F.STATUS] for entry in entries(write_db, ada)] == [OutboxStatus.DONE] * 4
    view = AccountView.objects.get(account_id=ada)
    assert (view.version, view.balance, view.needs_attention) == (4, Decimal("112.00"), False)
    assert entries(write_db, ada)[2][F.AUDIT][-1]["by"] == "teller"  # the logged-in demo user


def test_a_logged_in_user_s_retry_is_audited_under_their_name(
    admin_client: Client, write_db: Database[Any], faults: None
) -> None:
    admin_client.defaults["HTTP_HX_REQUEST"] = "true"
    ada, (_, _, dead, _) = poisoned_with_a_dead_letter(admin_client, write_db)
    set_poisoned(None)

    post(admin_client, f"/demo/deadletters/{dead['_id']}/retry/", ada)

    assert entries(write_db, ada)[2][F.AUDIT][-1]["by"] == "admin"


def test_skip_needs_a_reason_and_with_one_skips_and_releases_the_parked_event(
    htmx: Client, write_db: Database[Any], faults: None
) -> None:
    ada, (_, _, dead, _) = poisoned_with_a_dead_letter(htmx, write_db)
    set_poisoned(None)

    refused = post(htmx, f"/demo/deadletters/{dead['_id']}/skip/", ada, reason="   ")
    skipped = post(htmx, f"/demo/deadletters/{dead['_id']}/skip/", ada, reason="a test deposit")

    assert "Skip: give a reason" in refused
    assert "Skip: skipped; 1 parked event released. The account is flagged as needing attention." in skipped
    statuses = [entry[F.STATUS] for entry in entries(write_db, ada)[2:]]
    assert statuses == [OutboxStatus.SKIPPED, OutboxStatus.DONE]
    view = AccountView.objects.get(account_id=ada)
    assert view.needs_attention and "a test deposit" in view.attention


def test_retry_of_an_entry_that_is_not_dead_says_so(
    htmx: Client, write_db: Database[Any], faults: None
) -> None:
    ada = open_account(htmx)
    project()
    opened = entries(write_db, ada)[0]

    html = post(htmx, f"/demo/deadletters/{opened['_id']}/retry/", ada)
    unknown = post(htmx, f"/demo/deadletters/{uuid.uuid4()}/skip/", ada, reason="r")

    assert f"Nothing done: outbox entry {opened['_id']} is done, not dead." in html
    assert "Nothing done: no outbox entry" in unknown


def test_corrupt_changes_the_read_row_behind_the_projector_s_back(
    htmx: Client, write_db: Database[Any], faults: None
) -> None:
    ada = open_account(htmx, "Ada Lovelace", "100.00")
    project()

    html = post(htmx, "/demo/faults/corrupt/", ada)

    view = AccountView.objects.get(account_id=ada)
    assert (view.owner, view.balance, view.version) == ("Ada Lovelace (corrupted)", Decimal("1100.00"), 2)
    assert "balance 100.00 → 1100.00, owner “Ada Lovelace” → “Ada Lovelace (corrupted)”" in html
    assert "1100.00" in htmx.get(f"/demo/read/?selected={ada}").content.decode()


def test_corrupt_without_a_read_row_or_a_selection_says_so(htmx: Client, faults: None) -> None:
    ada = open_account(htmx)  # not projected

    assert "The read side has no row for this account yet" in post(htmx, "/demo/faults/corrupt/", ada)
    assert "Choose an account first" in post(htmx, "/demo/faults/corrupt/", None)


@pytest.mark.slow
def test_with_mongodb_down_a_dead_letter_action_answers_in_words(
    client: Client, mongo_down: None, settings: Any
) -> None:
    settings.DEMO_FAULTS = True

    response = client.post(f"/demo/deadletters/{uuid.uuid4()}/retry/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "MongoDB cannot be reached right now" in response.content.decode()


def test_without_javascript_a_fault_button_answers_with_a_small_page_and_a_link_back(
    client: Client, write_db: Database[Any], faults: None
) -> None:
    ada = uuid.uuid4()

    response = client.post("/demo/faults/poison/", {"selected": str(ada)})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Poisoned: the projector now fails" in html
    assert f'href="/?account={ada}">Back to the demo page</a>' in html


def test_the_buttons_need_the_csrf_token_like_every_other_form(write_db: Database[Any], faults: None) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(User.objects.create_user("csrf-checker", password="a-long-password-1"))

    assert strict.post("/demo/faults/cure/").status_code == 403
