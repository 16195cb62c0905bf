"""The projector loop end to end: API command → outbox → change stream → read models → read API."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from accounts_read.models import AccountView, LedgerLine
from accounts_write import bootstrap
from accounts_write.adapters.indexes import ensure_collections_and_indexes
from accounts_write.contract import OUTBOX_COLLECTION, OutboxStatus
from accounts_write.contract import OutboxField as F
from accounts_write.domain.commands import DepositFunds, OpenAccount
from projector import retry
from projector.delivery import deliver
from projector.leader import CheckpointUpdate, load_resume_token, save_checkpoint
from projector.models import ProjectorLease
from tests.factories.outbox import AccountHistory
from tests.integration.projector.running import running_projector, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60), pytest.mark.slow]


@pytest.fixture
def write_side(mongo_db):
    ensure_collections_and_indexes(mongo_db)
    with bootstrap.override_bus(bootstrap.build_bus(database=mongo_db)) as bus:
        yield bus


def outbox_statuses(mongo_db):
    return {doc[F.STATUS] for doc in mongo_db[OUTBOX_COLLECTION].find({}, projection=[F.STATUS])}


def test_a_command_through_the_api_is_visible_through_the_read_api_within_a_second(
    mongo_db, write_side, client
):
    with running_projector(mongo_db):
        wait_until(lambda: ProjectorLease.objects.filter(owner="projector-a").exists())
        time.sleep(0.3)  # the stream is open once the catch-up of an empty outbox is over
        opened = client.post("/api/accounts", {"owner": "Ada", "initial_deposit": "10.00"},
                             content_type="application/json")
        assert opened.status_code == 201, opened.content
        account_id = opened.json()["account_id"]
        started = time.monotonic()
        deposit = client.post(f"/api/accounts/{account_id}/deposit", {"amount": "2.50"},
                              content_type="application/json")
        version = deposit.json()["version"]

        read = client.get(f"/api/accounts/{account_id}?min_version={version}")
        elapsed = time.monotonic() - started

    assert read.status_code == 200
    body = read.json()
    assert (body["balance"], body["version"], body["min_version_reached"]) == ("12.50", version, True)
    assert elapsed < 1.0


def test_a_backlog_written_while_no_projector_ran_is_caught_up_at_start(mongo_db, write_side):
    results = [
        bootstrap.handle(OpenAccount(owner=f"owner {n}", initial_deposit=Decimal("5"))) for n in range(5)
    ]
    for result in results:
        bootstrap.handle(DepositFunds(account_id=result.account_id, amount=Decimal("1.25")))

    with running_projector(mongo_db):
        wait_until(lambda: outbox_statuses(mongo_db) == {OutboxStatus.DONE.value})

    assert AccountView.objects.count() == 5
    assert set(AccountView.objects.values_list("balance", flat=True)) == {Decimal("6.25")}


def test_a_stream_resumed_from_an_older_token_has_one_effect(mongo_db):
    outbox = mongo_db[OUTBOX_COLLECTION]
    ada = AccountHistory()
    with running_projector(mongo_db):
        outbox.insert_one(ada.opened())
        wait_until(lambda: AccountView.objects.filter(version=1).exists())
        wait_until(lambda: load_resume_token() is not None)
        older_token = load_resume_token()
        for amount in ("1.00", "2.00", "3.00"):
            outbox.insert_one(ada.deposited(amount))
        wait_until(lambda: AccountView.objects.filter(version=4).exists())

    # Roll the checkpoint back and forget the delivery state: the stream re-delivers v2..v4.
    with transaction.atomic():
        save_checkpoint(CheckpointUpdate(resume_token=older_token))
    outbox.update_many({}, {"$set": {F.STATUS: OutboxStatus.PENDING.value}})
    with running_projector(mongo_db, owner="projector-b"):
        wait_until(lambda: outbox_statuses(mongo_db) == {OutboxStatus.DONE.value})

    view = AccountView.objects.get(account_id=ada.account_id)
    assert (view.version, view.balance) == (4, Decimal("6.00"))
    assert LedgerLine.objects.count() == 3


def test_a_stopped_projector_releases_its_lease(mongo_db):
    with running_projector(mongo_db):
        wait_until(lambda: ProjectorLease.objects.filter(owner="projector-a").exists())

    assert ProjectorLease.objects.get().owner == ""


def test_a_second_projector_stands_by_while_the_first_leads(mongo_db):
    outbox = mongo_db[OUTBOX_COLLECTION]
    ada = AccountHistory()
    with running_projector(mongo_db, owner="first") as first:
        wait_until(lambda: ProjectorLease.objects.filter(owner="first").exists())
        with running_projector(mongo_db, owner="second"):
            outbox.insert_one(ada.opened())
            wait_until(lambda: AccountView.objects.exists())
            assert ProjectorLease.objects.get().owner == "first"
            first.stop.set()
            wait_until(lambda: ProjectorLease.objects.get().owner == "second", timeout=10)
            outbox.insert_one(ada.deposited("1.00"))
            wait_until(lambda: AccountView.objects.filter(version=2).exists())


def test_a_lone_event_is_applied_without_waiting_for_the_idle_poll_to_run_out(mongo_db):
    # Smart batching: with a 4 s idle poll, a projector that waited for more after the first
    # event would show it only after 4 s; within 3 s means the batch was applied at once.
    outbox = mongo_db[OUTBOX_COLLECTION]
    ada = AccountHistory()
    with running_projector(mongo_db, max_await_ms=4000):
        outbox.insert_one(ada.opened())
        wait_until(lambda: AccountView.objects.exists(), timeout=10)
        time.sleep(0.2)  # the reader's next getMore is now waiting on an idle stream
        outbox.insert_one(ada.deposited("1.00"))
        wait_until(lambda: AccountView.objects.filter(version=2).exists(), timeout=3)


def test_a_catch_up_longer_than_the_lease_keeps_the_lease(mongo_db, caplog, monkeypatch):
    """Regression: the catch-up renewed the lease only while paused, so a backlog that took longer
    than one lease to apply lost it midway (a warning, a restart, a standby could take over)."""
    histories = [AccountHistory(owner=f"owner {n}") for n in range(4)]
    documents = []
    for history in histories:
        documents.append(history.opened())
        documents += [history.deposited("1.00") for _ in range(9)]
    mongo_db[OUTBOX_COLLECTION].insert_many(documents)
    ttl = timedelta(seconds=0.5)

    def slow_deliver(*args, **kwargs):
        time.sleep(0.05)  # 40 one-event chunks: the catch-up takes at least 2 s, four leases
        return deliver(*args, **kwargs)

    monkeypatch.setattr(retry, "deliver", slow_deliver)
    caplog.set_level(logging.INFO, logger="projector")
    with running_projector(mongo_db, lease_ttl=ttl, batch_size=1):
        took = wait_until(lambda: outbox_statuses(mongo_db) == {OutboxStatus.DONE.value}, timeout=30)

    assert took > 2 * ttl.total_seconds()
    assert not [record for record in caplog.records if "standby again" in record.getMessage()]
    assert len([record for record in caplog.records if "leads" in record.getMessage()]) == 1
    assert AccountView.objects.filter(version=10).count() == 4
