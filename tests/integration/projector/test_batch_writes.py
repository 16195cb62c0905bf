"""The hand-written batch statements (read-model writes, checkpoint, lease fence) on MariaDB."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts_read.models import AccountStatus, AccountView, DailyTotal, LedgerLine
from projector.leader import CheckpointUpdate, LeaderLease, LeaseLostError, load_resume_token, save_checkpoint
from projector.models import Checkpoint, ProjectorLease
from tests.factories.outbox import AccountHistory

pytestmark = pytest.mark.django_db


def test_a_wide_batch_updates_every_account_it_touches_and_no_other(apply_documents):
    histories = [AccountHistory(owner=f"owner {n}") for n in range(60)]
    apply_documents([history.opened() for history in histories])
    untouched = histories[0]
    later = []
    for n, history in enumerate(histories[1:], start=1):
        later.append(history.deposited(f"{n}.25"))
        if n % 3 == 0:
            later.append(history.withdrawn("1.00"))

    report = apply_documents(later)

    assert report.applied == len(later)
    views = {view.account_id: view for view in AccountView.objects.all()}
    assert views[untouched.account_id].version == 1
    assert views[untouched.account_id].balance == Decimal("0.00")
    for history in histories[1:]:
        view = views[history.account_id]
        assert (view.version, view.balance, view.owner) == (history.version, history.balance, history.owner)
    assert LedgerLine.objects.count() == len(later)
    total = DailyTotal.objects.get()
    assert total.deposit_count == 59 and total.withdrawal_count == 19 and total.accounts_opened == 60


def test_closing_in_a_batch_sets_status_and_closing_time(apply_documents):
    ada, bob = AccountHistory(owner="Ada"), AccountHistory(owner="Bob")
    apply_documents([ada.opened(), bob.opened(), bob.deposited("5.00")])
    closed = ada.closed()

    apply_documents([closed, bob.deposited("1.00")])

    view = AccountView.objects.get(account_id=ada.account_id)
    assert (view.status, view.version, view.closed_at) == (AccountStatus.CLOSED, 2, closed["occurred_at"])
    assert AccountView.objects.get(account_id=bob.account_id).balance == Decimal("6.00")


def test_the_checkpoint_counts_applied_events_across_batches_and_keeps_its_token():
    save_checkpoint(CheckpointUpdate(resume_token={"_data": "01"}, applied=3, lag_ms=4.5))
    save_checkpoint(CheckpointUpdate(applied=2, lag_ms=1.5))
    save_checkpoint(CheckpointUpdate())  # an idle checkpoint: only the time moves

    row = Checkpoint.objects.get()
    assert (row.events_applied, row.last_batch_lag_ms) == (5, 1.5)
    assert load_resume_token() == {"_data": "01"}


def test_the_first_checkpoint_without_events_starts_at_zero():
    save_checkpoint(CheckpointUpdate(resume_token={"_data": "02"}))

    row = Checkpoint.objects.get()
    assert (row.events_applied, row.last_applied_at) == (0, None)


def test_the_lease_fence_passes_for_its_holder_only_while_unexpired():
    lease = LeaderLease(owner="a", ttl=timedelta(seconds=30))
    assert lease.try_acquire()
    lease.assert_held()
    with pytest.raises(LeaseLostError):
        LeaderLease(owner="b", ttl=timedelta(seconds=30)).assert_held()

    ProjectorLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(LeaseLostError):
        lease.assert_held()
