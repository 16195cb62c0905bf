"""The outbox store and the sweeps: delivery state after commit, backoff, leases, retry of due entries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts_read.models import AccountView, LedgerLine
from accounts_write.contract import OutboxField as F
from accounts_write.contract import OutboxStatus
from projector.delivery import deliver
from projector.outbox import Backoff
from projector.retry import retry_due, sweep_unfinished
from tests.factories.outbox import AccountHistory, outbox_document

pytestmark = pytest.mark.django_db


def status_of(outbox, document):
    return outbox.collection.find_one({"_id": document["_id"]})


def test_backoff_doubles_and_is_capped():
    backoff = Backoff(base_seconds=1, max_seconds=10)
    assert [backoff.delay(n).total_seconds() for n in (1, 2, 3, 4, 5, 50)] == [1, 2, 4, 8, 10, 10]


def test_delivered_events_are_marked_done_after_the_commit(outbox):
    ada = AccountHistory()
    documents = [ada.opened(), ada.deposited("3.00")]
    outbox.collection.insert_many(documents)

    outcome = deliver(documents, outbox, owner="test")

    assert outcome.applied == 2
    for document in documents:
        stored = status_of(outbox, document)
        assert stored[F.STATUS] == OutboxStatus.DONE
        assert stored[F.PROJECTED_AT] is not None
        assert stored[F.LEASE_OWNER] is None


def test_an_unknown_schema_fails_with_a_clear_error_and_the_rest_still_applies(outbox):
    ada = AccountHistory()
    opened = ada.opened()
    alien = outbox_document(ada.account_id, 2, "FundsTeleported", {})
    outbox.collection.insert_many([opened, alien])

    outcome = deliver([opened, alien], outbox, owner="test")

    assert (outcome.applied, outcome.failed) == (1, 1)
    stored = status_of(outbox, alien)
    assert stored[F.STATUS] == OutboxStatus.FAILED
    assert stored[F.ATTEMPTS] == 1
    assert "FundsTeleported" in stored[F.LAST_ERROR]
    assert stored[F.NEXT_ATTEMPT_AT] > timezone.now()


def test_a_held_back_event_returns_to_pending(outbox):
    ada = AccountHistory()
    ada.opened()
    ahead = ada.deposited("1.00")
    outbox.collection.insert_one(ahead)

    deliver([ahead], outbox, owner="test")

    assert status_of(outbox, ahead)[F.STATUS] == OutboxStatus.PENDING


def test_catch_up_applies_every_unfinished_entry_in_version_order(outbox):
    histories = [AccountHistory(owner=f"owner {n}") for n in range(5)]
    for history in histories:
        history.opened()
        for amount in ("1.00", "2.00", "3.00"):
            history.deposited(amount)
    documents = [doc for history in histories for doc in history.documents]
    outbox.collection.insert_many(list(reversed(documents)))

    report = sweep_unfinished(outbox, owner="test", batch_size=7, kind="catch-up")

    assert (report.applied, report.unfinished) == (20, 0)
    assert set(AccountView.objects.values_list("balance", flat=True)) == {Decimal("6.00")}
    assert outbox.collection.count_documents({F.STATUS: OutboxStatus.DONE}) == 20


def test_retry_applies_due_failures_expired_leases_and_stale_pending_entries(outbox):
    now = timezone.now()
    ada = AccountHistory()
    opened, failed, leased, stale = ada.opened(), ada.deposited("1"), ada.deposited("2"), ada.deposited("3")
    opened.update({F.STATUS: OutboxStatus.FAILED.value, F.ATTEMPTS: 2,
                   F.NEXT_ATTEMPT_AT: now - timedelta(seconds=1)})
    failed.update({F.STATUS: OutboxStatus.FAILED.value, F.ATTEMPTS: 1, F.NEXT_ATTEMPT_AT: now})
    leased.update({F.STATUS: OutboxStatus.IN_PROGRESS.value, F.LEASE_OWNER: "dead",
                   F.LEASE_UNTIL: now - timedelta(seconds=5)})
    stale[F.OCCURRED_AT] = now - timedelta(minutes=5)
    outbox.collection.insert_many([opened, failed, leased, stale])

    report = retry_due(outbox, owner="retry", pending_grace=timedelta(seconds=10), limit=100, batch_size=10)

    assert report.applied == 4
    assert AccountView.objects.get(account_id=ada.account_id).balance == Decimal("6.00")


def test_retry_leaves_entries_not_yet_due_and_live_leases_alone(outbox):
    now = timezone.now()
    ada = AccountHistory()
    backing_off, leased, fresh = ada.opened(), ada.deposited("1"), ada.deposited("2")
    backing_off.update({F.STATUS: OutboxStatus.FAILED.value, F.ATTEMPTS: 1,
                        F.NEXT_ATTEMPT_AT: now + timedelta(minutes=1)})
    leased.update({F.STATUS: OutboxStatus.IN_PROGRESS.value, F.LEASE_OWNER: "alive",
                   F.LEASE_UNTIL: now + timedelta(minutes=1)})
    outbox.collection.insert_many([backing_off, leased, fresh])

    report = retry_due(outbox, owner="retry", pending_grace=timedelta(seconds=10), limit=100, batch_size=10)

    assert report.seen == 0
    assert not AccountView.objects.exists()


def test_a_redelivered_entry_already_done_is_a_duplicate_and_stays_done(outbox):
    ada = AccountHistory()
    documents = [ada.opened(), ada.deposited("4.00")]
    outbox.collection.insert_many(documents)
    deliver(documents, outbox, owner="first")

    outcome = deliver(documents, outbox, owner="second")

    assert (outcome.applied, outcome.duplicates) == (0, 2)
    assert LedgerLine.objects.count() == 1
