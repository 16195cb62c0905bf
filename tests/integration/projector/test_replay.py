"""Replay: a full blue/green rebuild equals the live projection; one account re-projected in place."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import Client

from accounts_read.models import AccountView, DailyTotal, LedgerLine
from accounts_write import bootstrap
from accounts_write.adapters.indexes import ensure_collections_and_indexes
from accounts_write.contract import ACCOUNTS_COLLECTION, OUTBOX_COLLECTION
from accounts_write.domain.commands import DepositFunds, OpenAccount, TransferFunds
from config.mongo import close_mongo_client
from projector import bluegreen, deadletters, replay
from projector.bootstrap import outbox_store
from projector.delivery import deliver
from projector.models import ReplayRun, ReplayState
from projector.outbox import OutboxStore
from projector.retry import retry_due
from tests.auth import bearer
from tests.factories.outbox import AccountHistory, money, outbox_document
from tests.faults.conftest import database_url
from tests.faults.processes import REPO_ROOT
from tests.integration.projector.read_state import bank_histories, project_live, read_models_dump
from tests.integration.projector.running import running_projector, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture
def outbox(settings, mongo_url, mongo_db):
    settings.MONGO_URL, settings.MONGO_DB = mongo_url, mongo_db.name
    settings.PROJECTOR_RETRY_BACKOFF_BASE_SECONDS = 0
    settings.PROJECTOR_RETRY_BACKOFF_MAX_SECONDS = 0
    settings.PROJECTOR_MAX_ATTEMPTS = 2
    close_mongo_client()
    yield outbox_store()
    close_mongo_client()
    bluegreen.drop_shadow_tables()


def with_a_skip_and_a_dead_letter(outbox: OutboxStore) -> tuple[AccountHistory, AccountHistory]:
    """One account whose v3 was skipped by an operator, one whose v3 is a dead letter (v4 parked)."""
    skipped, dead = AccountHistory(owner="Skipped"), AccountHistory(owner="Dead")
    for history in (skipped, dead):
        history.opened()
        history.deposited("10.00")
        poison = outbox_document(history.account_id, 3, "FundsTeleported", {"amount": money("1")})
        history.documents.append(poison)
        history.version = 3
        history.deposited("2.00")
    outbox.collection.insert_many(skipped.documents + dead.documents)
    for _ in range(2):  # PROJECTOR_MAX_ATTEMPTS is 2 here: the poison events go dead
        deliver(list(outbox.collection.find({"status": {"$in": ["pending", "failed"]}})), outbox, owner="t")
    deadletters.skip(outbox, skipped.documents[2]["_id"], reason="bad event", by="ops")
    return skipped, dead


@pytest.mark.slow
def test_a_full_replay_equals_the_live_projection_table_for_table(outbox):
    project_live(outbox, bank_histories(accounts=40, events_per_account=12))
    with_a_skip_and_a_dead_letter(outbox)
    live = read_models_dump()

    run = replay.full_replay(outbox, started_by="test", batch_size=97)

    assert run.state == ReplayState.DONE
    rebuilt = read_models_dump()
    for table in live:
        assert set(rebuilt[table]) ^ set(live[table]) == set(), table
    assert not bluegreen.shadow_tables_exist() and not bluegreen.retired_tables_exist()
    assert run.events_seen == outbox.count_all()


def test_a_replay_repairs_a_corrupted_read_model(outbox):
    project_live(outbox, bank_histories(accounts=10, events_per_account=6))
    live = read_models_dump()
    AccountView.objects.filter(owner="Owner 3").update(balance=Decimal("999999.99"))
    LedgerLine.objects.filter(aggregate_version=2)[:1].get().delete()
    DailyTotal.objects.update(deposit_count=0)

    call_command("replay", "--all", "--no-progress", stdout=StringIO())

    assert read_models_dump() == live


def test_rebuilding_one_account_in_place_restores_it_and_its_share_of_the_daily_totals(outbox):
    histories = bank_histories(accounts=8, events_per_account=8)
    project_live(outbox, histories)
    live = read_models_dump()
    victim = histories[2].account_id
    AccountView.objects.filter(account_id=victim).update(balance=Decimal("0.01"), owner="Mallory", version=1)
    LedgerLine.objects.filter(account_id=victim, aggregate_version__gt=3).update(amount=Decimal("7.77"))

    out = StringIO()
    call_command("replay", "--account", str(victim), "--no-progress", stdout=out)

    assert "re-projected 1 account" in out.getvalue()
    rebuilt = read_models_dump()
    assert (rebuilt["accounts"], rebuilt["ledger"]) == (live["accounts"], live["ledger"])


def test_rebuilding_an_account_keeps_the_daily_totals_when_its_ledger_was_intact(outbox):
    histories = bank_histories(accounts=8, events_per_account=8)
    project_live(outbox, histories)
    live = read_models_dump()
    AccountView.objects.filter(account_id=histories[5].account_id).update(balance=Decimal("3.00"))

    replay.rebuild_accounts(outbox, [histories[5].account_id])

    assert read_models_dump() == live


def test_replay_since_rebuilds_the_accounts_with_recent_events(outbox):
    histories = bank_histories(accounts=6, events_per_account=5)
    project_live(outbox, histories)
    live = read_models_dump()
    AccountView.objects.update(balance=Decimal("1.23"))
    latest = max(doc["occurred_at"] for h in histories for doc in h.documents)

    out = StringIO()
    call_command("replay", "--since", latest.isoformat(), "--no-progress", stdout=out)

    rebuilt = [h.account_id for h in histories if any(d["occurred_at"] >= latest for d in h.documents)]
    assert f"re-projected {len(rebuilt)} account" in out.getvalue()
    assert AccountView.objects.get(account_id=rebuilt[0]).balance == live_balance(live, rebuilt[0])


def live_balance(dump, account_id):
    return next(row[3] for row in dump["accounts"] if row[0] == account_id)


def test_a_dry_run_says_what_it_would_do_and_changes_nothing(outbox):
    project_live(outbox, bank_histories(accounts=3, events_per_account=4))
    before = read_models_dump()
    out = StringIO()

    call_command("replay", "--all", "--dry-run", stdout=out)
    call_command("replay", "--account", str(uuid.uuid4()), "--dry-run", stdout=out)

    assert f"from {outbox.count_all()} outbox events into shadow tables" in out.getvalue()
    assert "would re-project 1 account(s) in place from 0 outbox events" in out.getvalue()
    assert read_models_dump() == before
    assert not ReplayRun.objects.exists() and not bluegreen.shadow_tables_exist()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--since", "yesterday"], "not an ISO date-time"),
        (["--since", "2026-12-01T10:00:00"], "no time zone"),
        (["--account", "nope"], "not an account id"),
        (["--all", "--batch-size", "0"], "at least 1"),
    ],
)
def test_bad_arguments_are_refused_in_words(outbox, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("replay", *arguments)


def replay_while_locked(outbox, lock: str) -> object:
    """A full replay in another session (a thread) while this one holds the named lock ``lock``:
    what it returned, or the ReplayBusyError it raised."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, 0)", [lock])
    outcome: list[object] = []

    def attempt() -> None:
        try:
            outcome.append(replay.full_replay(outbox, started_by="second"))
        except replay.ReplayBusyError as exc:
            outcome.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT RELEASE_LOCK(%s)", [lock])
    assert outcome, "the replay thread ended without a result"
    return outcome[0]


def test_a_second_replay_is_refused_while_one_runs(outbox):
    refused = replay_while_locked(outbox, replay.replay_lock_name())

    assert isinstance(refused, replay.ReplayBusyError)
    assert "another replay is running" in str(refused)


def test_a_replay_of_another_database_on_the_same_server_does_not_block_this_one(outbox, monkeypatch):
    """Named locks are server-wide; the replay lock was one name for every database on the server."""
    with monkeypatch.context() as elsewhere_process:
        elsewhere_process.setitem(connections["default"].settings_dict, "NAME", "cqrs_read_elsewhere")
        elsewhere = replay.replay_lock_name()

    assert not isinstance(replay_while_locked(outbox, elsewhere), replay.ReplayBusyError)


@pytest.mark.slow
def test_a_replay_killed_half_way_resumes_and_finishes(outbox, settings, mongo_url, mongo_db):
    project_live(outbox, bank_histories(accounts=150, events_per_account=30), batch_size=1000)
    live = read_models_dump()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(settings),
        "MONGO_URL": mongo_url,
        "MONGO_DB": mongo_db.name,
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "replay", "--all", "--batch-size", "50", "--no-progress"],
        cwd=str(REPO_ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        wait_until(lambda: ReplayRun.objects.filter(events_seen__gte=500).exists(), timeout=60, interval=0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    killed = ReplayRun.objects.get()
    assert killed.state == ReplayState.BUILDING and killed.events_seen < outbox.count_all()

    out = StringIO()
    call_command("replay", "--all", "--no-progress", stdout=out)

    assert "resuming replay" in out.getvalue()
    finished = ReplayRun.objects.get()
    assert (finished.pk, finished.state) == (killed.pk, ReplayState.DONE)
    assert read_models_dump() == live


@pytest.fixture
def write_side(outbox, mongo_db):
    ensure_collections_and_indexes(mongo_db)
    with bootstrap.override_bus(bootstrap.build_bus(database=mongo_db)):
        yield mongo_db


@pytest.mark.slow
def test_a_replay_under_concurrent_writes_and_reads_serves_every_read(outbox, write_side, mongo_db, api_key):
    accounts = [
        bootstrap.handle(OpenAccount(owner=f"Reader {n}", initial_deposit=Decimal("100"))).account_id
        for n in range(20)
    ]
    stop = threading.Event()
    answers: list[int] = []
    writes = [0]

    def write() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            if n % 3:
                bootstrap.handle(DepositFunds(account_id=accounts[n % 20], amount=Decimal("1.00")))
            else:
                bootstrap.handle(TransferFunds(accounts[n % 20], accounts[(n + 1) % 20], Decimal("0.50")))
            writes[0] += 1

    def read() -> None:
        client = Client(headers=bearer(api_key))
        n = 0
        while not stop.is_set():
            n += 1
            answers.append(client.get(f"/api/accounts/{accounts[n % 20]}").status_code)
        connections.close_all()

    with running_projector(mongo_db):
        wait_until(lambda: AccountView.objects.count() == 20)
        threads = [threading.Thread(target=write), threading.Thread(target=read)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        run = replay.full_replay(outbox, started_by="test", batch_size=50)
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(30)
        write_state = {doc["_id"]: doc for doc in mongo_db[ACCOUNTS_COLLECTION].find()}
        wait_until(
            lambda: all(
                view.version == write_state[view.account_id]["version"] for view in AccountView.objects.all()
            ),
            timeout=20,
        )

    assert run.state == ReplayState.DONE
    assert writes[0] > 20 and len(answers) > 50
    assert set(answers) == {200}
    for view in AccountView.objects.all():
        assert view.balance == write_state[view.account_id]["balance"].to_decimal()
        assert LedgerLine.objects.filter(account_id=view.account_id).count() == view.version - 1
    retry_due(outbox, owner="t", pending_grace=timedelta(0), limit=10, batch_size=10)
    assert mongo_db[OUTBOX_COLLECTION].count_documents({"status": {"$ne": "done"}}) == 0
