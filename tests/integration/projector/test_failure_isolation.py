"""Permanent errors are isolated to their event; transient ones roll the batch back and never go dead."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, connections, transaction

from accounts_read.models import AccountView
from accounts_write.contract import OUTBOX_COLLECTION, OutboxStatus
from accounts_write.contract import OutboxField as F
from projector.delivery import deliver
from projector.failures import is_transient
from projector.leader import CheckpointUpdate, load_resume_token
from projector.outbox import Backoff, OutboxStore
from tests.factories.outbox import AccountHistory
from tests.factories.read_models import AccountViewFactory, LedgerLineFactory
from tests.integration.projector.running import running_projector, wait_until

pytestmark = pytest.mark.slow


@pytest.mark.django_db
def test_a_permanent_error_fails_only_its_event_and_the_batch_commits_with_its_checkpoint(apply_documents):
    ada, bob = AccountHistory(owner="Ada"), AccountHistory(owner="Bob")
    ada_opened, ada_deposit = ada.opened(), ada.deposited("10.00")
    # A ledger line already holding the deposit's event id makes its insert fail (a unique key).
    LedgerLineFactory(event_id=ada_deposit["_id"])

    report = apply_documents(
        [ada_opened, ada_deposit, bob.opened(), bob.deposited("4.00")],
        checkpoint=CheckpointUpdate(resume_token={"_data": "01"}),
    )

    assert report.isolated
    assert list(report.errors) == [ada_deposit["_id"]]
    assert "IntegrityError" in report.errors[ada_deposit["_id"]]
    assert AccountView.objects.get(account_id=ada.account_id).version == 1
    assert AccountView.objects.get(account_id=bob.account_id).balance == Decimal("4.00")
    assert load_resume_token() == {"_data": "01"}


@pytest.mark.django_db(transaction=True)
def test_a_lock_wait_timeout_is_transient_rolls_back_the_batch_and_does_not_count_toward_dead(mongo_db):
    outbox = OutboxStore(
        mongo_db[OUTBOX_COLLECTION], backoff=Backoff(0, 0), entry_lease=timedelta(seconds=30), max_attempts=1
    )
    ada = AccountHistory()
    AccountViewFactory(account_id=ada.account_id, version=1)
    ada.version = 1
    deposit = ada.deposited("5.00")
    outbox.collection.insert_one(deposit)
    locked, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:
        with transaction.atomic():
            AccountView.objects.select_for_update().get(account_id=ada.account_id)
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    locked.wait(5)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
        with pytest.raises(OperationalError) as raised:
            deliver([deposit], outbox, owner="projector", checkpoint=CheckpointUpdate({"_data": "02"}))
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = DEFAULT")

    assert is_transient(raised.value)
    entry = outbox.collection.find_one({"_id": deposit["_id"]})
    assert entry is not None
    # max_attempts=1: a permanent failure would have killed it at once; a transient one does not.
    assert (entry[F.STATUS], entry[F.ATTEMPTS], entry[F.PERMANENT_FAILURES]) == (OutboxStatus.FAILED, 1, 0)
    assert entry[F.ATTEMPT_HISTORY][-1]["permanent"] is False
    assert load_resume_token() is None
    assert AccountView.objects.get(account_id=ada.account_id).version == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
def test_an_overflowing_event_in_the_stream_does_not_keep_other_accounts_stale(mongo_db, caplog):
    """Regression: a DECIMAL overflow (MySQL 1264) was taken for an outage and failed its whole batch."""
    outbox = mongo_db[OUTBOX_COLLECTION]
    poisoned = AccountHistory(owner="Poisoned")
    poisoned.opened()
    poisoned.deposited("1" + "0" * 20)
    healthy = [AccountHistory(owner=f"Healthy {n}") for n in range(13)]
    for history in healthy:
        history.opened()
        history.deposited("2.00")
    with running_projector(mongo_db):
        time.sleep(0.3)  # the stream is open once the catch-up of an empty outbox is over
        outbox.insert_many([*poisoned.documents, *(doc for h in healthy for doc in h.documents)])
        healthy_views = AccountView.objects.filter(owner__startswith="Healthy", version=2)
        waited = wait_until(lambda: healthy_views.count() == 13)

    assert waited < 5
    assert "mysql unavailable" not in caplog.text
    failed = outbox.find_one({"_id": poisoned.documents[1]["_id"]})
    assert failed[F.PERMANENT_FAILURES] >= 1
    assert "1264" in failed[F.LAST_ERROR]


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(90)
def test_a_poison_event_goes_dead_while_a_thousand_events_of_other_accounts_flow(mongo_db, settings):
    settings.PROJECTOR_MAX_ATTEMPTS = 3
    settings.PROJECTOR_RETRY_BACKOFF_BASE_SECONDS = 0.05
    settings.PROJECTOR_RETRY_BACKOFF_MAX_SECONDS = 0.1
    outbox = mongo_db[OUTBOX_COLLECTION]
    ada = AccountHistory(owner="Ada")
    ada.opened()
    ada.deposited("1" + "0" * 20)  # overflows the read model's balance column
    parked = ada.deposited("1.00")
    others = [AccountHistory(owner=f"Other {n}") for n in range(500)]
    with running_projector(mongo_db):
        time.sleep(0.3)
        outbox.insert_many(ada.documents)
        for start in range(0, 500, 50):  # 1,000 events of other accounts, arriving meanwhile
            batch = others[start : start + 50]
            outbox.insert_many([doc for h in batch for doc in (h.opened(), h.deposited("1.00"))])
            time.sleep(0.05)
        wait_until(lambda: outbox.find_one({"_id": ada.documents[1]["_id"]})[F.STATUS] == "dead", timeout=30)
        wait_until(lambda: AccountView.objects.filter(owner__startswith="Other", version=2).count() == 500)

    poison = outbox.find_one({"_id": ada.documents[1]["_id"]})
    assert poison[F.PERMANENT_FAILURES] == 3
    behind = outbox.find_one({"_id": parked["_id"]})
    assert (behind[F.STATUS], behind.get(F.ATTEMPTS, 0)) == ("parked", 0)
    assert outbox.count_documents({F.STATUS: "done"}) == 1 + 1000
