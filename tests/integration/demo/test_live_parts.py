"""The demo page's live parts: write pane (MongoDB), read pane (MySQL), sync strip and timeline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from pymongo.database import Database

from accounts_write.contract import ACCOUNTS_COLLECTION, OUTBOX_COLLECTION
from accounts_write.contract import OutboxField as F
from projector.control import is_paused, set_paused
from tests.factories.outbox import AccountHistory
from tests.factories.read_models import AccountViewFactory, LedgerLineFactory

pytestmark = pytest.mark.django_db


def history_in_outbox(write_db: Database[Any], *statuses: str, error: str | None = None) -> AccountHistory:
    """An account whose events carry the given delivery statuses (the last one with ``error``)."""
    ada = AccountHistory(owner="Ada Lovelace")
    documents = [ada.opened(), *(ada.deposited("5.00") for _ in statuses[1:])]
    for document, status in zip(documents, statuses, strict=True):
        document[F.STATUS] = status
    documents[-1][F.LAST_ERROR] = error
    write_db[OUTBOX_COLLECTION].insert_many(documents)
    return ada


def test_the_write_pane_shows_accounts_and_outbox_entries_as_mongodb_holds_them(
    htmx: Client, write_db: Database[Any]
) -> None:
    opened = htmx.post(
        "/demo/commands/open/",
        {"command_id": "c1", "owner": "Ada", "initial_deposit": "9.5", "currency": "CHF"},
    )
    account_id = opened["HX-Replace-Url"].split("account=")[1]
    history_in_outbox(write_db, "done", "parked", error="ProjectionError: boom")

    html = htmx.get("/demo/write/").content.decode()

    assert f'data-account="{account_id}"' in html and "9.50 CHF" in html
    assert "FundsDeposited" in html and "AccountOpened" in html
    assert '<span class="delivery status-parked">parked</span>' in html  # a status it does not know
    assert "ProjectionError: boom" in html
    assert "1 newest of 1" in html


@pytest.mark.slow
def test_the_write_pane_says_so_in_words_when_mongodb_is_down(client: Client, mongo_down: None) -> None:
    response = client.get("/demo/write/")

    assert response.status_code == 200
    assert "MongoDB cannot be reached right now" in response.content.decode()


def test_the_read_pane_shows_account_views_and_the_selected_account_s_ledger(client: Client) -> None:
    ada = AccountViewFactory(owner="Ada", balance=Decimal("15.00"), version=3)
    AccountViewFactory(owner="Bob")
    LedgerLineFactory(
        account=ada, aggregate_version=2, amount=Decimal("10.00"), balance_after=Decimal("10.00")
    )
    LedgerLineFactory(
        account=ada, aggregate_version=3, amount=Decimal("5.00"), balance_after=Decimal("15.00")
    )

    html = client.get(f"/demo/read/?selected={ada.account_id}").content.decode()

    assert "2 newest of 2" in html
    assert f'<tr data-account="{ada.account_id}" class="selected" aria-current="true">' in html
    assert "Ledger of Ada" in html and "2 latest of 2 lines" in html
    ledger = html[html.index("Ledger of Ada") :]
    assert ledger.index("10.00") < ledger.index("15.00")  # oldest line first


def test_the_read_pane_without_a_selection_says_how_to_choose(client: Client) -> None:
    html = client.get("/demo/read/?selected=not-a-uuid").content.decode()

    assert "No account views yet" in html
    assert "Choose an account" in html


def test_the_timeline_puts_each_event_s_outbox_status_beside_the_read_version(
    client: Client, write_db: Database[Any]
) -> None:
    ada = history_in_outbox(write_db, "done", "done", "dead", error="ProjectionError: no such thing")
    AccountViewFactory(account_id=ada.account_id, owner="Ada Lovelace", version=2)

    html = client.get(f"/demo/timeline/?selected={ada.account_id}").content.decode()

    assert 'write version <strong class="write-version">3</strong>' in html
    assert 'read version <strong class="read-version">2</strong>' in html
    assert "1 behind" in html
    assert html.count('<span class="good">applied</span>') == 2
    assert html.count('<span class="bad">not yet</span>') == 1
    assert '<span class="delivery status-dead">dead</span>' in html
    assert "ProjectionError: no such thing" in html


def test_the_timeline_of_an_account_not_yet_projected_names_its_owner_from_the_outbox(
    client: Client, write_db: Database[Any]
) -> None:
    ada = history_in_outbox(write_db, "pending")

    html = client.get(f"/demo/timeline/?selected={ada.account_id}").content.decode()

    assert "Ada Lovelace" in html and 'read version <strong class="read-version">none</strong>' in html


def test_the_timeline_without_events_or_selection_says_so(client: Client, write_db: Database[Any]) -> None:
    assert (
        "has no events"
        in client.get(f"/demo/timeline/?selected={AccountHistory().account_id}").content.decode()
    )
    assert "Choose an account" in client.get("/demo/timeline/").content.decode()


def test_the_sync_strip_shows_lag_backlog_and_the_last_events_timings(
    client: Client, write_db: Database[Any]
) -> None:
    ada = AccountHistory()
    done, waiting = ada.opened(), ada.deposited("1.00")
    done.update({F.STATUS: "done", F.PROJECTED_AT: done[F.OCCURRED_AT] + timedelta(milliseconds=42)})
    waiting[F.OCCURRED_AT] = timezone.now() - timedelta(seconds=12)
    write_db[OUTBOX_COLLECTION].insert_many([done, waiting])

    html = client.get("/demo/sync/").content.decode()

    assert "not running" in html
    assert '<dd id="sync-lag" class="lag behind">12.' in html
    assert "pending 1" in html
    assert "42 ms" in html
    assert "Pause projector" not in html  # DEMO_FAULTS is off


def test_the_fault_buttons_are_off_unless_demo_faults_is_set(client: Client) -> None:
    assert client.post("/demo/projector/pause/").status_code == 404
    assert not is_paused()


def test_the_pause_button_pauses_and_the_resume_button_resumes(
    htmx: Client, logged_in_client: Client, settings: Any, write_db: Database[Any]
) -> None:
    settings.DEMO_FAULTS = True
    assert "Pause projector" in htmx.get("/demo/sync/").content.decode()

    paused = htmx.post("/demo/projector/pause/")

    assert is_paused()
    assert '<span class="badge paused">paused</span>' in paused.content.decode()
    assert "Resume projector" in paused.content.decode()
    resumed = logged_in_client.post("/demo/projector/resume/")
    assert not is_paused()
    assert (resumed.status_code, resumed["Location"]) == (302, "/")
    assert htmx.get("/demo/projector/pause/").status_code == 405


@pytest.mark.slow
def test_the_sync_strip_without_mongodb_still_shows_what_mysql_knows(
    client: Client, mongo_down: None
) -> None:
    set_paused(True)

    html = client.get("/demo/sync/").content.decode()

    assert "MongoDB cannot be reached: lag and backlog unknown" in html
    assert "paused" in html


def test_the_write_side_accounts_collection_is_listed_newest_first(
    htmx: Client, write_db: Database[Any]
) -> None:
    for owner in ("First", "Second", "Third"):
        htmx.post("/demo/commands/open/", {"command_id": owner, "owner": owner, "currency": "EUR"})
    assert write_db[ACCOUNTS_COLLECTION].count_documents({}) == 3

    html = htmx.get("/demo/write/").content.decode()

    assert html.index("Third") < html.index("Second") < html.index("First")
