"""apply_events: the version gate, the projections and the one-transaction batch, on MariaDB."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts_read.models import AccountStatus, AccountView, DailyTotal, LedgerEntryType, LedgerLine
from accounts_write.contract import EventType
from projector.leader import CheckpointUpdate, LeaseLostError, load_resume_token
from projector.models import ProjectorLease
from tests.factories.outbox import AccountHistory, money, outbox_document

pytestmark = pytest.mark.django_db


def test_opening_and_deposits_build_the_account_view_and_its_ledger(apply_documents):
    ada = AccountHistory(owner="Ada")
    report = apply_documents([ada.opened(), ada.deposited("100.00"), ada.withdrawn("30.50")])

    assert report.applied == 3
    view = AccountView.objects.get(account_id=ada.account_id)
    assert (view.owner, view.currency, view.balance, view.version, view.status) == (
        "Ada", "EUR", Decimal("69.50"), 3, AccountStatus.OPEN,
    )
    lines = list(LedgerLine.objects.filter(account=view).order_by("aggregate_version"))
    assert [(line.entry_type, line.amount, line.balance_after) for line in lines] == [
        (LedgerEntryType.DEPOSIT, Decimal("100.00"), Decimal("100.00")),
        (LedgerEntryType.WITHDRAWAL, Decimal("-30.50"), Decimal("69.50")),
    ]
    assert [line.event_id for line in lines] == [d["_id"] for d in ada.documents[1:]]


def test_the_same_event_delivered_twice_has_one_effect(apply_documents):
    ada = AccountHistory()
    opened, deposit = ada.opened(), ada.deposited("10.00")
    apply_documents([opened, deposit, deposit])
    second = apply_documents([deposit, opened])

    assert second.applied == 0
    assert {e.event_id for e in second.duplicate_events} == {opened["_id"], deposit["_id"]}
    assert AccountView.objects.get(account_id=ada.account_id).balance == Decimal("10.00")
    assert LedgerLine.objects.count() == 1


def test_an_event_ahead_of_the_next_version_is_held_back_until_its_predecessor_arrives(apply_documents):
    ada = AccountHistory()
    opened, v2, v3 = ada.opened(), ada.deposited("5.00"), ada.deposited("7.00")
    apply_documents([opened])

    first = apply_documents([v3])
    assert [e.event_id for e in first.held_events] == [v3["_id"]]
    assert first.done_events == []
    assert AccountView.objects.get(account_id=ada.account_id).version == 1

    apply_documents([v2])
    apply_documents([v3])
    view = AccountView.objects.get(account_id=ada.account_id)
    assert (view.version, view.balance) == (3, Decimal("12.00"))
    assert LedgerLine.objects.filter(account=view).count() == 2


def test_a_batch_delivered_out_of_order_heals_itself(apply_documents):
    ada = AccountHistory()
    documents = [ada.opened(), ada.deposited("1.00"), ada.deposited("2.00"), ada.withdrawn("0.50")]
    report = apply_documents(list(reversed(documents)))

    assert report.applied == 4
    assert AccountView.objects.get(account_id=ada.account_id).balance == Decimal("2.50")


def test_a_transfer_writes_both_ledgers_and_counts_once_in_the_daily_totals(apply_documents):
    ada, bob = AccountHistory(owner="Ada"), AccountHistory(owner="Bob")
    setup = [ada.opened(), ada.deposited("50.00"), bob.opened()]
    sent, received = ada.transfer_to(bob, "20.00")
    apply_documents([*setup, received, sent])

    out_line = LedgerLine.objects.get(event_id=sent["_id"])
    in_line = LedgerLine.objects.get(event_id=received["_id"])
    assert (out_line.entry_type, out_line.amount, out_line.counterparty_id) == (
        LedgerEntryType.TRANSFER_OUT, Decimal("-20.00"), bob.account_id,
    )
    assert (in_line.entry_type, in_line.amount, in_line.counterparty_id) == (
        LedgerEntryType.TRANSFER_IN, Decimal("20.00"), ada.account_id,
    )
    assert out_line.transfer_id == in_line.transfer_id
    total = DailyTotal.objects.get(currency="EUR")
    assert (total.deposited, total.transferred, total.transfer_count, total.accounts_opened) == (
        Decimal("50.00"), Decimal("20.00"), 1, 2,
    )


def test_closing_marks_the_account_closed(apply_documents):
    ada = AccountHistory()
    documents = [ada.opened(), ada.closed()]
    closed = documents[-1]
    apply_documents(documents)

    view = AccountView.objects.get(account_id=ada.account_id)
    assert (view.status, view.version, view.closed_at) == (AccountStatus.CLOSED, 2, closed["occurred_at"])


def test_daily_totals_accumulate_across_batches(apply_documents):
    ada = AccountHistory()
    apply_documents([ada.opened(), ada.deposited("10.00")])
    apply_documents([ada.deposited("5.00"), ada.withdrawn("3.00")])

    total = DailyTotal.objects.get(currency="EUR")
    assert (total.deposited, total.deposit_count, total.withdrawn, total.withdrawal_count) == (
        Decimal("15.00"), 2, Decimal("3.00"), 1,
    )


def test_a_deposit_before_any_opening_is_held_as_a_gap(apply_documents):
    ghost = AccountHistory()
    ghost.opened()
    report = apply_documents([ghost.deposited("1.00")])

    assert [e.version for e in report.held_events] == [2]


def test_a_history_that_does_not_start_with_an_opening_fails_only_that_event(apply_documents):
    ada = AccountHistory()
    orphan = outbox_document(
        uuid.uuid4(), 1, EventType.FUNDS_DEPOSITED, {"amount": money("1.00"), "balance_after": money("1.00")}
    )
    report = apply_documents([orphan, ada.opened()])

    assert list(report.errors) == [orphan["_id"]]
    assert "never opened" in report.errors[orphan["_id"]]
    assert [e.event_id for e in report.applied_events] == [ada.documents[0]["_id"]]


def test_the_checkpoint_is_saved_with_the_batch(apply_documents):
    ada = AccountHistory()
    apply_documents([ada.opened()], checkpoint=CheckpointUpdate(resume_token={"_data": "8264AB"}))

    assert load_resume_token() == {"_data": "8264AB"}


def test_a_projector_that_lost_its_lease_cannot_commit_a_batch(apply_documents, take_lease):
    leader = take_lease("a")
    # The lease expires and another projector takes it.
    ProjectorLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    usurper = take_lease("b")
    assert ProjectorLease.objects.get().owner == usurper.owner

    ada = AccountHistory()
    with pytest.raises(LeaseLostError):
        apply_documents([ada.opened()], fence=leader)
    assert not AccountView.objects.exists()
