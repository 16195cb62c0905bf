"""The Celery retry task: scheduled by beat, re-applies due entries through the same apply."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from accounts_read.models import AccountView
from accounts_write.contract import OUTBOX_COLLECTION, OutboxStatus
from accounts_write.contract import OutboxField as F
from config.celery import app
from config.mongo import close_mongo_client
from projector.tasks import reconcile_read_models, retry_due_entries
from tests.factories.outbox import AccountHistory
from tests.integration.projector.running import wait_until

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def failed_history(settings, mongo_url, mongo_db):
    settings.MONGO_URL, settings.MONGO_DB = mongo_url, mongo_db.name
    close_mongo_client()
    ada = AccountHistory()
    documents = [ada.opened(), ada.deposited("8.00")]
    for document in documents:
        document.update({F.STATUS: OutboxStatus.FAILED.value, F.ATTEMPTS: 1,
                         F.NEXT_ATTEMPT_AT: timezone.now() - timedelta(seconds=1)})
    mongo_db[OUTBOX_COLLECTION].insert_many(documents)
    yield ada
    close_mongo_client()


def test_beat_schedules_the_retry_task():
    entry = app.conf.beat_schedule["projector-retry-due-entries"]
    assert entry["task"] == "projector.retry_due_entries"
    assert entry["task"] in app.tasks


@pytest.mark.django_db
def test_the_task_reapplies_failed_entries_whose_backoff_is_due(failed_history, mongo_db):
    report = retry_due_entries.apply().get()

    assert report["applied"] == 2
    assert AccountView.objects.get(account_id=failed_history.account_id).balance == Decimal("8.00")
    assert {d[F.STATUS] for d in mongo_db[OUTBOX_COLLECTION].find()} == {OutboxStatus.DONE.value}


@pytest.mark.slow
@pytest.mark.timeout(60)
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_task_from_the_redis_broker(failed_history, settings, mongo_url, mongo_db):
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"mysql://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                        f"{db['PORT'] or 3306}/{db['NAME']}",
        "MONGO_URL": mongo_url, "MONGO_DB": mongo_db.name, "REDIS_URL": settings.CELERY_BROKER_URL,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
         "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=str(REPO_ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        retry_due_entries.delay()
        wait_until(lambda: AccountView.objects.filter(account_id=failed_history.account_id).exists(), 30)
    finally:
        worker.terminate()
        worker.wait(timeout=20)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("task", "empty"),
    [
        (retry_due_entries, {"applied": 0, "failed": 0}),
        (reconcile_read_models, {"checked": 0, "drifted": 0, "lagging": 0}),
    ],
    ids=["retry", "reconcile"],
)
def test_a_periodic_task_that_finds_mongodb_away_warns_once_and_returns(mongo_down, caplog, task, empty):
    """Regression: the tasks raised, and the worker logged an ERROR with a traceback every 5 s."""
    caplog.set_level(logging.WARNING, logger="projector.tasks")

    result = task.apply().get()

    assert result.items() >= empty.items()
    [warning] = [record for record in caplog.records if record.name == "projector.tasks"]
    assert warning.levelno == logging.WARNING
    assert f"{task.__wrapped__.__name__} not run: MongoDB unavailable" in warning.getMessage()
    assert warning.exc_info is None
