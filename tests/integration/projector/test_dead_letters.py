"""The sequenced dead-letter queue: permanent failures go dead, later events park, retry and skip release."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts_read.models import AccountView, LedgerLine
from accounts_write.contract import EventType, OutboxStatus
from accounts_write.contract import OutboxField as F
from projector import deadletters
from projector.delivery import deliver
from projector.outbox import Backoff, OutboxStore
from projector.retry import retry_due
from tests.factories.outbox import AccountHistory, money, outbox_document

pytestmark = pytest.mark.django_db

MAX_ATTEMPTS = 3


@pytest.fixture
def outbox(mongo_db):
    # No backoff: every retry_due call below is a due attempt.
    return OutboxStore(
        mongo_db["outbox"],
        backoff=Backoff(base_seconds=0, max_seconds=0),
        entry_lease=timedelta(seconds=30),
        max_attempts=MAX_ATTEMPTS,
    )


def stored(outbox, document):
    return outbox.collection.find_one({"_id": document["_id"]})


def retry_until_settled(outbox, rounds=MAX_ATTEMPTS + 2):
    for _ in range(rounds):
        retry_due(outbox, owner="retry", pending_grace=timedelta(0), limit=1000, batch_size=100)


def poisoned_account(outbox, poison_kind="unknown type"):
    """Ada: opened and funded, then a poison event (v3), then two deposits parked behind it."""
    ada = AccountHistory(owner="Ada")
    opened, funded = ada.opened(), ada.deposited("50.00")
    if poison_kind == "unknown type":
        poison = outbox_document(ada.account_id, 3, "FundsTeleported", {"amount": money("1.00")})
        ada.version = 3
    else:  # a payload the read model cannot hold: 21 digits in a DECIMAL(20, 2) column
        ada.version = 2
        poison = ada.deposited("1" + "0" * 20)
        ada.balance = Decimal("50.00")
    later = [ada.deposited("5.00"), ada.deposited("7.00")]
    documents = [opened, funded, poison, *later]
    outbox.collection.insert_many(documents)
    return ada, poison, later, documents


@pytest.mark.parametrize("poison_kind", ["unknown type", "payload the apply cannot take"])
def test_a_poison_event_goes_dead_after_max_attempts_and_parks_its_accounts_later_events(outbox, poison_kind):
    ada, poison, later, documents = poisoned_account(outbox, poison_kind)
    others = [AccountHistory(owner=f"Other {n}") for n in range(4)]
    healthy = [doc for other in others for doc in (other.opened(), other.deposited("3.00"))]
    outbox.collection.insert_many(healthy)

    outcome = deliver(documents + healthy, outbox, owner="projector")
    assert (outcome.failed, outcome.parked) == (1, 2)
    retry_until_settled(outbox)

    dead = stored(outbox, poison)
    assert dead[F.STATUS] == OutboxStatus.DEAD
    assert dead[F.PERMANENT_FAILURES] == MAX_ATTEMPTS
    assert len(dead[F.ATTEMPT_HISTORY]) == MAX_ATTEMPTS
    assert all(attempt["permanent"] for attempt in dead[F.ATTEMPT_HISTORY])
    assert dead[F.DIED_AT] is not None
    for parked in later:
        entry = stored(outbox, parked)
        assert (entry[F.STATUS], entry[F.PARKED_BEHIND], entry.get(F.ATTEMPTS, 0)) == (
            OutboxStatus.PARKED, poison["_id"], 0
        )
    view = AccountView.objects.get(account_id=ada.account_id)
    assert (view.version, view.balance) == (2, Decimal("50.00"))
    assert view.needs_attention and str(poison["_id"]) in view.attention
    assert view.attention_event_id == poison["_id"]
    # Every other account went through in the very first batch.
    assert AccountView.objects.filter(owner__startswith="Other", version=2).count() == 4


@pytest.mark.slow
def test_a_failing_event_does_not_hold_up_other_accounts_in_its_batch(outbox):
    _ada, _poison, _later, documents = poisoned_account(outbox, "payload")
    others = [AccountHistory(owner=f"Other {n}") for n in range(1000)]
    healthy = [doc for other in others for doc in (other.opened(),)]
    outbox.collection.insert_many(healthy)

    outcome = deliver(documents + healthy, outbox, owner="projector")

    assert outcome.applied == 2 + 1000
    assert AccountView.objects.filter(owner__startswith="Other").count() == 1000
    done = outbox.collection.count_documents({F.STATUS: OutboxStatus.DONE})
    assert done == 1002


def test_retry_after_fixing_the_cause_applies_it_and_releases_the_parked_events_in_order(outbox):
    ada, poison, later, _ = poisoned_account(outbox)
    deliver(outbox.collection.find().to_list(), outbox, owner="projector")
    retry_until_settled(outbox)
    assert stored(outbox, poison)[F.STATUS] == OutboxStatus.DEAD
    # The cause: an event type this projector does not know. Fixed here by correcting the entry.
    outbox.collection.update_one(
        {"_id": poison["_id"]},
        {"$set": {F.EVENT_TYPE: EventType.FUNDS_DEPOSITED.value,
                  F.PAYLOAD: {"amount": money("1.00"), "balance_after": money("51.00")}}},
    )
    # The parked deposits were computed before the fix; their balance_after is the write side's word.
    result = deadletters.retry(outbox, poison["_id"], by="alice")

    assert (result.status, result.released, result.succeeded) == (OutboxStatus.DONE, 2, True)
    assert [stored(outbox, doc)[F.STATUS] for doc in later] == [OutboxStatus.DONE] * 2
    view = AccountView.objects.get(account_id=ada.account_id)
    assert view.version == 5 and not view.needs_attention
    versions = list(LedgerLine.objects.filter(account=view).values_list("aggregate_version", flat=True))
    assert versions == [2, 3, 4, 5]
    audit = stored(outbox, poison)[F.AUDIT]
    assert [(a["by"], a["action"]) for a in audit] == [("alice", "retry")]


def test_retry_without_a_fix_fails_again_and_keeps_the_events_parked(outbox):
    _, poison, later, _ = poisoned_account(outbox)
    deliver(outbox.collection.find().to_list(), outbox, owner="projector")
    retry_until_settled(outbox)

    result = deadletters.retry(outbox, poison["_id"], by="alice")

    assert (result.status, result.succeeded) == (OutboxStatus.FAILED, False)
    assert "FundsTeleported" in str(result.error)
    assert [stored(outbox, doc)[F.STATUS] for doc in later] == [OutboxStatus.PARKED] * 2


def test_skip_consumes_the_version_flags_the_account_and_releases_the_parked_events(outbox, client):
    ada, poison, _later, _ = poisoned_account(outbox)
    deliver(outbox.collection.find().to_list(), outbox, owner="projector")
    retry_until_settled(outbox)

    result = deadletters.skip(outbox, poison["_id"], reason="teleportation is not a thing", by="bob")

    assert (result.status, result.released) == (OutboxStatus.SKIPPED, 2)
    entry = stored(outbox, poison)
    assert (entry[F.SKIP]["by"], entry[F.SKIP]["reason"]) == ("bob", "teleportation is not a thing")
    assert entry[F.AUDIT][-1]["action"] == "skip"
    view = AccountView.objects.get(account_id=ada.account_id)
    assert (view.version, view.balance) == (5, Decimal("62.00"))
    assert "skipped by bob" in view.attention and "teleportation" in view.attention
    body = client.get(f"/api/accounts/{ada.account_id}").json()
    assert body["needs_attention"] is True
    assert "skipped by bob" in body["attention"]


def test_only_dead_entries_can_be_retried_or_skipped(outbox):
    ada = AccountHistory()
    opened = ada.opened()
    outbox.collection.insert_one(opened)
    with pytest.raises(deadletters.DeadLetterError, match="not dead"):
        deadletters.retry(outbox, opened["_id"], by="x")
    with pytest.raises(deadletters.DeadLetterError, match="no outbox entry"):
        deadletters.skip(outbox, uuid.uuid4(), reason="r", by="x")


def test_a_skip_needs_a_reason(outbox):
    _, poison, _, _ = poisoned_account(outbox)
    with pytest.raises(ValueError, match="reason"):
        deadletters.skip(outbox, poison["_id"], reason="  ", by="x")


def test_an_event_arriving_behind_a_dead_letter_is_parked_not_held(outbox):
    ada, poison, _later, _ = poisoned_account(outbox)
    deliver(outbox.collection.find().to_list(), outbox, owner="projector")
    retry_until_settled(outbox)
    newcomer = ada.deposited("1.00")
    outbox.collection.insert_one(newcomer)

    outcome = deliver([newcomer], outbox, owner="projector")

    assert (outcome.parked, outcome.held) == (1, 0)
    assert stored(outbox, newcomer)[F.PARKED_BEHIND] == poison["_id"]


def test_parked_entries_whose_blocker_is_done_are_released_by_the_retry_sweep(outbox):
    ada = AccountHistory()
    opened, deposit = ada.opened(), ada.deposited("4.00")
    outbox.collection.insert_many([opened, deposit])
    deliver([opened], outbox, owner="projector")
    # A crash between the blocker's success and the release leaves an orphan behind.
    outbox.collection.update_one(
        {"_id": deposit["_id"]}, {"$set": {F.STATUS: OutboxStatus.PARKED, F.PARKED_BEHIND: opened["_id"]}}
    )

    report = retry_due(outbox, owner="retry", pending_grace=timedelta(hours=1), limit=100, batch_size=100)

    assert report.released == 1
    assert stored(outbox, deposit)[F.STATUS] == OutboxStatus.DONE
    assert AccountView.objects.get(account_id=ada.account_id).balance == Decimal("4.00")


def test_the_dead_letter_list_counts_the_parked_events(outbox):
    _, poison, _, _ = poisoned_account(outbox)
    deliver(outbox.collection.find().to_list(), outbox, owner="projector")
    retry_until_settled(outbox)

    [letter] = deadletters.list_dead_letters(outbox)

    assert (letter.event_id, letter.version, letter.parked) == (poison["_id"], 3, 2)
    assert letter.attempts == MAX_ATTEMPTS
    assert letter.died_at is not None and letter.died_at <= timezone.now()


def test_skipping_the_opening_event_keeps_a_flagged_row_for_the_later_events(outbox):
    ada = AccountHistory(owner="Ada")
    opened = ada.opened()
    opened[F.PAYLOAD] = {"owner": "Ada"}  # lacks its currency: the projector cannot open it
    later = ada.deposited("6.00")
    outbox.collection.insert_many([opened, later])
    deliver([opened, later], outbox, owner="projector")
    retry_until_settled(outbox)
    assert stored(outbox, opened)[F.STATUS] == OutboxStatus.DEAD

    result = deadletters.skip(outbox, opened["_id"], reason="opened without a currency", by="ops")

    assert (result.status, result.released) == (OutboxStatus.SKIPPED, 1)
    view = AccountView.objects.get(account_id=ada.account_id)
    assert (view.version, view.balance, view.owner) == (2, Decimal("6.00"), "")
    assert view.attention_event_id == opened["_id"] and "opened without a currency" in view.attention


def test_entries_parked_behind_a_dead_letter_being_retried_stay_parked_until_it_is_done(outbox):
    """Regression: the orphan release took a reopened dead letter for a finished one and released
    its parked entries to pending under the operator's retry, which then released none."""
    _, poison, later, _ = poisoned_account(outbox)
    deliver(outbox.collection.find().to_list(), outbox, owner="projector")
    retry_until_settled(outbox)
    # What `deadletters retry` does first: fresh attempts, leased to the operator.
    audit = {"at": timezone.now(), "by": "ops", "action": "retry", "reason": ""}
    assert outbox.reopen(poison["_id"], audit, owner="operator:ops", now=timezone.now())

    report = retry_due(outbox, owner="retry", pending_grace=timedelta(hours=1), limit=100, batch_size=100)

    assert report.released == 0
    assert [stored(outbox, doc)[F.STATUS] for doc in later] == [OutboxStatus.PARKED] * 2


def test_a_dead_letter_being_retried_is_not_taken_by_the_retry_sweep_before_the_operator_applies_it(
    outbox,
):
    """Regression (CI, demo's Retry said "no parked event released"): a reopened entry was pending
    with its old timestamp, so a sweep running between the reopen and the operator's apply took
    it, applied it and released its parked entries itself."""
    _, poison, later, _ = poisoned_account(outbox)
    deliver(outbox.collection.find().to_list(), outbox, owner="projector")
    retry_until_settled(outbox)
    audit = {"at": timezone.now(), "by": "ops", "action": "retry", "reason": ""}
    assert outbox.reopen(poison["_id"], audit, owner="operator:ops", now=timezone.now())

    swept = retry_due(outbox, owner="retry", pending_grace=timedelta(0), limit=100, batch_size=100)

    assert (swept.applied, swept.released) == (0, 0)
    assert stored(outbox, poison)[F.STATUS] == OutboxStatus.IN_PROGRESS
    assert [stored(outbox, doc)[F.STATUS] for doc in later] == [OutboxStatus.PARKED] * 2


def test_a_reopened_dead_letter_whose_operator_died_is_taken_over_by_the_sweep_when_its_lease_ends(
    outbox,
):
    _, poison, _, _ = poisoned_account(outbox)
    deliver(outbox.collection.find().to_list(), outbox, owner="projector")
    retry_until_settled(outbox)
    audit = {"at": timezone.now(), "by": "ops", "action": "retry", "reason": ""}
    long_ago = timezone.now() - outbox.entry_lease - timedelta(seconds=1)
    assert outbox.reopen(poison["_id"], audit, owner="operator:ops", now=long_ago)

    swept = retry_due(outbox, owner="retry", pending_grace=timedelta(hours=1), limit=100, batch_size=100)

    assert stored(outbox, poison)[F.STATUS] != OutboxStatus.IN_PROGRESS
    assert swept.seen >= 1
