"""GET /api/sync/status: what MySQL knows always, outbox counts when MongoDB answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from accounts_write.contract import OUTBOX_COLLECTION
from accounts_write.contract import OutboxField as F
from config.mongo import close_mongo_client
from projector.leader import CheckpointUpdate, save_checkpoint
from tests.factories.outbox import AccountHistory

pytestmark = pytest.mark.django_db


@pytest.fixture
def status_on(settings, mongo_url, mongo_db):
    settings.MONGO_URL = mongo_url
    settings.MONGO_DB = mongo_db.name
    close_mongo_client()
    yield mongo_db
    close_mongo_client()


def test_status_reports_backlog_lag_checkpoint_and_a_live_projector(status_on, client, take_lease):
    ada = AccountHistory()
    old = ada.opened()
    old[F.OCCURRED_AT] = timezone.now() - timedelta(seconds=30)
    status_on[OUTBOX_COLLECTION].insert_many([old, ada.deposited("1.00")])
    take_lease("p1")
    with transaction.atomic():
        save_checkpoint(CheckpointUpdate(resume_token={"_data": "00"}))

    body = client.get("/api/sync/status").json()

    assert body["projector"]["alive"] is True
    assert body["projector"]["leader"] == "p1"
    assert body["checkpoint"]["has_resume_token"] is True
    assert body["checkpoint"]["age_seconds"] < 5
    assert body["outbox"]["available"] is True
    assert body["outbox"]["backlog"]["pending"] == 2
    assert body["outbox"]["dead_letters"] == 0
    assert body["outbox"]["lag_seconds"] >= 29


def test_status_says_no_projector_is_alive_when_the_lease_expired(status_on, client, take_lease):
    take_lease("p1", ttl=timedelta(milliseconds=1))

    body = client.get("/api/sync/status").json()

    assert body["projector"]["alive"] is False
    assert body["outbox"]["lag_seconds"] == 0


@pytest.mark.slow
def test_status_answers_with_what_mysql_knows_while_mongodb_is_down(settings, client):
    settings.MONGO_URL = "mongodb://127.0.0.1:9/?replicaSet=rs0"
    settings.MONGO_SERVER_SELECTION_TIMEOUT_MS = 300
    close_mongo_client()
    try:
        response = client.get("/api/sync/status")
    finally:
        close_mongo_client()

    assert response.status_code == 200
    body = response.json()
    assert body["outbox"]["available"] is False
    assert body["outbox"]["backlog"] == {}
    assert body["projector"]["alive"] is False
