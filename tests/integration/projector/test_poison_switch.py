"""The demo's poison switch: a poisoned account's events take the real dead-letter path, and with
DEMO_FAULTS off the projector never even reads the switch."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts_read.models import AccountView
from accounts_write.contract import OutboxField as F
from accounts_write.contract import OutboxStatus
from projector import control, deadletters
from projector.control import POISON_ERROR, SwitchGate, read_poisoned_account, set_poisoned
from projector.delivery import deliver
from projector.models import ProjectorControl
from projector.outbox import Backoff, OutboxStore
from projector.retry import retry_due
from tests.factories.outbox import AccountHistory

pytestmark = pytest.mark.django_db

MAX_ATTEMPTS = 3
CONTROL_TABLE = ProjectorControl._meta.db_table


@pytest.fixture
def outbox(mongo_db: Any) -> OutboxStore:
    return OutboxStore(
        mongo_db["outbox"],
        backoff=Backoff(base_seconds=0, max_seconds=0),  # every retry_due call is a due attempt
        entry_lease=timedelta(seconds=30),
        max_attempts=MAX_ATTEMPTS,
    )


@pytest.fixture
def faults_on(settings: Any) -> None:
    settings.DEMO_FAULTS = True


def stored(outbox: OutboxStore, document: dict[str, Any]) -> dict[str, Any]:
    found = outbox.collection.find_one({"_id": document["_id"]})
    assert found is not None
    return found


def projected_account(outbox: OutboxStore) -> AccountHistory:
    """Ada, opened and funded, both events projected (version 2, balance 50.00)."""
    ada = AccountHistory(owner="Ada")
    documents = [ada.opened(), ada.deposited("50.00")]
    outbox.collection.insert_many(documents)
    deliver(documents, outbox, owner="projector")
    return ada


def arrive(outbox: OutboxStore, *documents: dict[str, Any]) -> None:
    outbox.collection.insert_many(list(documents))
    deliver(list(documents), outbox, owner="projector")


def settle(outbox: OutboxStore, rounds: int = MAX_ATTEMPTS + 2) -> None:
    for _ in range(rounds):
        retry_due(outbox, owner="retry", pending_grace=timedelta(0), limit=1000, batch_size=100)


def dead_letter_of_a_poisoned_account(
    outbox: OutboxStore,
) -> tuple[AccountHistory, dict[str, Any], dict[str, Any]]:
    """Ada, poisoned after v2: her deposit v3 is dead, v4 parked behind it."""
    ada = projected_account(outbox)
    set_poisoned(ada.account_id)
    first, second = ada.deposited("5.00"), ada.deposited("7.00")
    arrive(outbox, first, second)
    settle(outbox)
    return ada, first, second


def control_queries(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if CONTROL_TABLE in query["sql"]]


def test_without_demo_faults_the_delivery_never_reads_the_switch(outbox: OutboxStore, settings: Any) -> None:
    settings.DEMO_FAULTS = False
    ada = projected_account(outbox)
    set_poisoned(ada.account_id)  # left on by a demo: without DEMO_FAULTS it must change nothing

    with CaptureQueriesContext(connection) as captured:
        arrive(outbox, ada.deposited("5.00"))

    assert control_queries(captured) == []
    assert AccountView.objects.get(account_id=ada.account_id).version == 3


def test_a_poisoned_account_s_event_fails_goes_dead_and_parks_the_later_ones_while_others_flow(
    outbox: OutboxStore, faults_on: None
) -> None:
    ada = projected_account(outbox)
    bob = AccountHistory(owner="Bob")
    set_poisoned(ada.account_id)
    first, second = ada.deposited("5.00"), ada.deposited("7.00")

    arrive(outbox, first, second, bob.opened(), bob.deposited("3.00"))

    failed = stored(outbox, first)
    assert (failed[F.STATUS], failed[F.LAST_ERROR]) == (OutboxStatus.FAILED, POISON_ERROR)
    assert (stored(outbox, second)[F.STATUS], stored(outbox, second)[F.PARKED_BEHIND]) == (
        OutboxStatus.PARKED,
        first["_id"],
    )
    assert AccountView.objects.get(account_id=bob.account_id).version == 2
    settle(outbox)
    dead = stored(outbox, first)
    assert (dead[F.STATUS], dead[F.PERMANENT_FAILURES]) == (OutboxStatus.DEAD, MAX_ATTEMPTS)
    assert stored(outbox, second)[F.STATUS] == OutboxStatus.PARKED
    view = AccountView.objects.get(account_id=ada.account_id)
    assert (view.version, view.balance) == (2, Decimal("50.00"))
    assert view.needs_attention and POISON_ERROR in view.attention


def test_a_later_event_arriving_on_its_own_is_parked_behind_the_failing_one(
    outbox: OutboxStore, faults_on: None
) -> None:
    ada = projected_account(outbox)
    set_poisoned(ada.account_id)
    first, second = ada.deposited("5.00"), ada.deposited("7.00")

    arrive(outbox, first)
    arrive(outbox, second)

    assert stored(outbox, first)[F.STATUS] == OutboxStatus.FAILED
    assert stored(outbox, second)[F.PARKED_BEHIND] == first["_id"]
    assert stored(outbox, second).get(F.ATTEMPTS, 0) == 0  # parked events burn no attempts


def test_events_the_read_model_already_has_pass_as_duplicates(outbox: OutboxStore, faults_on: None) -> None:
    ada = projected_account(outbox)
    set_poisoned(ada.account_id)

    outcome = deliver(list(outbox.collection.find()), outbox, owner="redelivery")

    assert (outcome.duplicates, outcome.failed) == (2, 0)


def test_retry_while_poisoned_fails_again_and_after_the_cure_applies_and_releases(
    outbox: OutboxStore, faults_on: None
) -> None:
    ada, first, second = dead_letter_of_a_poisoned_account(outbox)

    again = deadletters.retry(outbox, first["_id"], by="ops")

    assert (again.status, again.error, again.succeeded) == (OutboxStatus.FAILED, POISON_ERROR, False)
    assert stored(outbox, second)[F.STATUS] == OutboxStatus.PARKED
    settle(outbox)
    assert stored(outbox, first)[F.STATUS] == OutboxStatus.DEAD

    set_poisoned(None)
    cured = deadletters.retry(outbox, first["_id"], by="ops")

    assert (cured.status, cured.released) == (OutboxStatus.DONE, 1)
    assert stored(outbox, second)[F.STATUS] == OutboxStatus.DONE
    view = AccountView.objects.get(account_id=ada.account_id)
    assert (view.version, view.balance, view.needs_attention) == (4, Decimal("62.00"), False)


def test_a_skip_passes_while_poisoned_and_the_released_event_fails_in_its_place(
    outbox: OutboxStore, faults_on: None
) -> None:
    ada, first, second = dead_letter_of_a_poisoned_account(outbox)

    result = deadletters.skip(outbox, first["_id"], reason="demo", by="ops")

    assert (result.status, result.released) == (OutboxStatus.SKIPPED, 1)
    assert AccountView.objects.get(account_id=ada.account_id).version == 3
    assert (stored(outbox, second)[F.STATUS], stored(outbox, second)[F.LAST_ERROR]) == (
        OutboxStatus.FAILED,
        POISON_ERROR,
    )


def test_the_switch_is_read_at_most_once_per_interval(
    outbox: OutboxStore, faults_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = projected_account(outbox)
    set_poisoned(ada.account_id)
    now = [1000.0]
    monkeypatch.setattr(control, "POISON_GATE", SwitchGate(read_poisoned_account, None, 0.1, lambda: now[0]))

    with CaptureQueriesContext(connection) as captured:
        for _ in range(4):
            arrive(outbox, AccountHistory().opened())
        now[0] += 0.1
        arrive(outbox, AccountHistory().opened())

    assert len(control_queries(captured)) == 2


def test_poisoning_another_account_cures_the_first_and_says_which_it_was() -> None:
    ada, bob = AccountHistory(), AccountHistory()

    assert set_poisoned(ada.account_id) is None
    assert set_poisoned(bob.account_id) == ada.account_id
    assert read_poisoned_account() == bob.account_id
    assert set_poisoned(None) == bob.account_id
    assert control.pause_state().poisoned_account is None
