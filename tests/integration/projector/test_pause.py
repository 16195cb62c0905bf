"""The operator's pause switch: a paused projector keeps its lease and applies nothing until resumed."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from accounts_read.models import AccountView
from accounts_write.contract import OUTBOX_COLLECTION, OutboxStatus
from accounts_write.contract import OutboxField as F
from config.mongo import close_mongo_client
from projector import metrics
from projector.control import PauseGate, is_paused, pause_state, set_paused
from projector.models import ProjectorLease
from projector.tasks import retry_due_entries
from tests.factories.outbox import AccountHistory
from tests.integration.projector.running import running_projector, wait_until


@pytest.mark.django_db
def test_the_switch_starts_off_and_remembers_when_it_changed():
    assert pause_state().paused is False and not is_paused()

    before = timezone.now()
    set_paused(True)

    state = pause_state()
    assert state.paused is True and is_paused()
    assert state.changed_at is not None and state.changed_at >= before - timedelta(seconds=1)
    set_paused(False)
    assert not is_paused()


def test_the_gate_reads_the_switch_at_most_once_per_interval():
    reads: list[bool] = []
    now = [100.0]

    def read() -> bool:
        reads.append(True)
        return len(reads) > 1

    gate = PauseGate(interval=0.1, read=read, clock=lambda: now[0])

    assert [gate.paused() for _ in range(50)] == [False] * 50
    now[0] += 0.1
    assert gate.paused() is True
    assert len(reads) == 2


def test_an_unreadable_switch_keeps_its_last_known_state():
    answers: list[bool | Exception] = [True, OperationalError("MySQL went away"), False]
    now = [0.0]

    def read() -> bool:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    gate = PauseGate(interval=0.1, read=read, clock=lambda: now[0])
    states = []
    for _ in range(3):
        states.append(gate.paused())
        now[0] += 0.1

    assert states == [True, True, False]


def lease_heartbeat(owner: str):
    return ProjectorLease.objects.filter(owner=owner).values_list("heartbeat_at", flat=True).first()


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
@pytest.mark.slow
def test_a_paused_tailing_projector_keeps_its_lease_applies_nothing_and_catches_up_on_resume(mongo_db):
    ada = AccountHistory()
    outbox = mongo_db[OUTBOX_COLLECTION]
    with running_projector(mongo_db, owner="pausable", lease_ttl=timedelta(seconds=0.6)):
        outbox.insert_one(ada.opened())
        wait_until(lambda: AccountView.objects.filter(account_id=ada.account_id).exists())
        set_paused(True)
        time.sleep(0.3)  # the gate notices within 0.1 s; a batch in hand is finished
        outbox.insert_many([ada.deposited("5.00"), ada.deposited("2.50")])
        first_beat = lease_heartbeat("pausable")
        time.sleep(1.5)

        assert AccountView.objects.get(account_id=ada.account_id).version == 1
        assert lease_heartbeat("pausable") > first_beat  # still leading, still beating
        assert metrics.PAUSED._value.get() == 1

        set_paused(False)
        wait_until(lambda: AccountView.objects.get(account_id=ada.account_id).version == 3, timeout=5)
        wait_until(lambda: metrics.PAUSED._value.get() == 0)
    assert {doc[F.STATUS] for doc in outbox.find()} == {OutboxStatus.DONE.value}


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
@pytest.mark.slow
def test_a_projector_started_while_paused_leads_but_does_not_catch_up_until_resumed(mongo_db):
    ada = AccountHistory()
    mongo_db[OUTBOX_COLLECTION].insert_many([ada.opened(), ada.deposited("3.00")])
    set_paused(True)
    with running_projector(mongo_db, owner="late", lease_ttl=timedelta(seconds=0.6)):
        wait_until(lambda: ProjectorLease.objects.filter(owner="late").exists())
        time.sleep(1.5)
        assert not AccountView.objects.exists()
        expires_at = ProjectorLease.objects.get(owner="late").expires_at
        assert expires_at is not None and expires_at > timezone.now()

        set_paused(False)
        wait_until(lambda: AccountView.objects.filter(account_id=ada.account_id, version=2).exists(), 5)


@pytest.mark.django_db
def test_the_retry_sweep_applies_nothing_while_paused(settings, mongo_url, mongo_db):
    settings.MONGO_URL, settings.MONGO_DB = mongo_url, mongo_db.name
    close_mongo_client()
    ada = AccountHistory()
    missed = ada.opened()
    missed[F.OCCURRED_AT] = timezone.now() - timedelta(minutes=5)
    mongo_db[OUTBOX_COLLECTION].insert_one(missed)
    try:
        set_paused(True)
        assert retry_due_entries.apply().get()["applied"] == 0
        assert not AccountView.objects.exists()

        set_paused(False)
        assert retry_due_entries.apply().get()["applied"] == 1
    finally:
        close_mongo_client()


@pytest.mark.django_db
@pytest.mark.slow
def test_sync_status_says_whether_the_projector_is_paused(settings, client):
    settings.MONGO_URL = "mongodb://127.0.0.1:9/?replicaSet=rs0"
    settings.MONGO_SERVER_SELECTION_TIMEOUT_MS = 300
    close_mongo_client()
    try:
        assert client.get("/api/sync/status").json()["projector"]["paused"] is False
        set_paused(True)
        assert client.get("/api/sync/status").json()["projector"]["paused"] is True
    finally:
        close_mongo_client()
