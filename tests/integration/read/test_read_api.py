"""The read API on MariaDB: accounts, read-your-writes, ledgers, daily totals, errors."""

from __future__ import annotations

import threading
import time
import uuid
from decimal import Decimal

import pytest

from accounts_read.models import AccountStatus, AccountView, LedgerEntryType
from tests.factories.read_models import AccountViewFactory, DailyTotalFactory, LedgerLineFactory

pytestmark = pytest.mark.django_db


def test_an_account_is_shown_with_amounts_as_decimal_strings(client):
    view = AccountViewFactory(owner="Ada", balance=Decimal("12.5"), version=3)

    response = client.get(f"/api/accounts/{view.account_id}")

    assert response.status_code == 200
    body = response.json()
    assert (body["owner"], body["balance"], body["version"], body["status"]) == ("Ada", "12.50", 3, "open")
    assert body["min_version_reached"] is None
    assert response["X-Projection-Version"] == "3"


def test_an_unknown_account_is_a_json_404(client):
    account_id = uuid.uuid4()
    response = client.get(f"/api/accounts/{account_id}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "account_not_found"
    assert response.json()["error"]["details"] == {"account_id": str(account_id)}


@pytest.mark.parametrize(
    "path",
    ["/api/accounts/not-a-uuid", "/api/accounts/not-a-uuid/ledger",
     "/api/accounts/{id}?min_version=0", "/api/accounts/{id}?min_version=abc",
     "/api/accounts?limit=0", "/api/accounts?status=frozen"],
)
def test_bad_input_is_a_422_never_a_500(client, path):
    response = client.get(path.format(id=uuid.uuid4()))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_the_list_is_paginated_and_filtered_by_status_and_owner(client):
    AccountViewFactory.create_batch(3, owner="Ada")
    AccountViewFactory(owner="Bob", status=AccountStatus.CLOSED)

    page = client.get("/api/accounts?limit=2&offset=0").json()
    assert (len(page["items"]), page["count"], page["limit"]) == (2, 4, 2)
    closed = client.get("/api/accounts?status=closed").json()
    assert [item["owner"] for item in closed["items"]] == ["Bob"]
    adas = client.get("/api/accounts?owner=Ada").json()
    assert adas["count"] == 3


def test_min_version_not_reached_answers_the_current_view_flagged_after_the_bounded_wait(client, settings):
    settings.READ_YOUR_WRITES_TIMEOUT_SECONDS = 0.2
    view = AccountViewFactory(version=2)

    started = time.monotonic()
    response = client.get(f"/api/accounts/{view.account_id}?min_version=3")

    assert 0.2 <= time.monotonic() - started < 1.0
    assert response.status_code == 200
    assert response.json()["min_version_reached"] is False
    assert response["X-Min-Version-Reached"] == "false"


def test_min_version_for_an_account_never_projected_is_a_404_after_the_wait(client, settings):
    settings.READ_YOUR_WRITES_TIMEOUT_SECONDS = 0.1

    response = client.get(f"/api/accounts/{uuid.uuid4()}?min_version=1")

    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_min_version_waits_until_the_projection_catches_up(client):
    view = AccountViewFactory.create(version=1)

    def project_later() -> None:
        time.sleep(0.15)
        AccountView.objects.filter(account_id=view.account_id).update(version=2, balance=Decimal("9.00"))

    writer = threading.Thread(target=project_later)
    writer.start()
    response = client.get(f"/api/accounts/{view.account_id}?min_version=2")
    writer.join()

    body = response.json()
    assert (body["version"], body["balance"], body["min_version_reached"]) == (2, "9.00", True)


def test_the_ledger_lists_lines_oldest_first_with_signed_amounts(client):
    view = AccountViewFactory()
    LedgerLineFactory(account=view, aggregate_version=3, entry_type=LedgerEntryType.WITHDRAWAL,
                      amount=Decimal("-4.00"), balance_after=Decimal("6.00"))
    LedgerLineFactory(account=view, aggregate_version=2, amount=Decimal("10.00"),
                      balance_after=Decimal("10.00"))

    body = client.get(f"/api/accounts/{view.account_id}/ledger").json()

    assert [(line["version"], line["amount"], line["balance_after"]) for line in body["items"]] == [
        (2, "10.00", "10.00"), (3, "-4.00", "6.00"),
    ]
    assert body["count"] == 2


def test_the_ledger_of_an_unknown_account_is_a_404(client):
    assert client.get(f"/api/accounts/{uuid.uuid4()}/ledger").status_code == 404


def test_daily_totals_are_listed_newest_first(client):
    DailyTotalFactory(currency="EUR", deposited=Decimal("5.5"), deposit_count=1)

    body = client.get("/api/daily-totals?currency=EUR").json()

    assert (body[0]["currency"], body[0]["deposited"], body[0]["deposit_count"]) == ("EUR", "5.50", 1)


def test_reads_answer_while_mongodb_is_unreachable(client, settings):
    from config.mongo import close_mongo_client

    settings.MONGO_URL = "mongodb://127.0.0.1:9/?replicaSet=rs0"
    close_mongo_client()
    view = AccountViewFactory()
    try:
        started = time.monotonic()
        assert client.get(f"/api/accounts/{view.account_id}").status_code == 200
        assert client.get("/api/accounts").status_code == 200
        assert client.get(f"/api/accounts/{view.account_id}/ledger").status_code == 200
        assert time.monotonic() - started < 1.0
    finally:
        close_mongo_client()


def test_min_version_waits_are_bounded_per_process(client, settings):
    settings.READ_YOUR_WRITES_TIMEOUT_SECONDS = 1.0
    view = AccountViewFactory(version=2)
    held = threading.Event()
    release = threading.Event()

    def hold_the_only_slot() -> None:
        from accounts_read.api import waiting_slot

        with waiting_slot() as may_wait:
            assert may_wait
            held.set()
            release.wait(5)

    settings.READ_YOUR_WRITES_MAX_WAITERS = 1
    holder = threading.Thread(target=hold_the_only_slot)
    holder.start()
    held.wait(5)
    try:
        started = time.monotonic()
        response = client.get(f"/api/accounts/{view.account_id}?min_version=3")
        elapsed = time.monotonic() - started
    finally:
        release.set()
        holder.join()

    assert elapsed < 0.5, "no slot left: the answer comes at once"
    assert response.json()["min_version_reached"] is False
