"""Reconcile reports, replay runs and prune records in the admin: listed, readable, never editable."""

from __future__ import annotations

import html
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from projector.models import PruneRecord, ReconcileReport, ReplayRun, ReplayState

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client, django_user_model) -> Client:
    client.force_login(django_user_model.objects.create_superuser("ops", "ops@example.com", "pw"))
    return client


@pytest.fixture
def report() -> ReconcileReport:
    now = timezone.now()
    drifted = uuid.uuid4()
    return ReconcileReport.objects.create(
        started_at=now - timedelta(seconds=3),
        finished_at=now,
        scope="all",
        trigger="command",
        checked=12,
        drifted=1,
        lagging=0,
        details={
            "drifted": [{"account_id": str(drifted), "field": "balance", "write": "10.00", "read": "9.00"}],
            "lagging": [],
            "fixed": [],
        },
    )


@pytest.mark.parametrize("model", ["reconcilereport", "replayrun", "prunerecord"])
def test_the_records_are_read_only(staff_client, model):
    assert staff_client.get(f"/admin/projector/{model}/add/").status_code == 403


def test_the_reconcile_reports_are_listed_and_their_details_readable(staff_client, report):
    listing = staff_client.get("/admin/projector/reconcilereport/")
    assert listing.status_code == 200
    assert "command" in listing.content.decode()

    page = html.unescape(
        staff_client.get(f"/admin/projector/reconcilereport/{report.pk}/change/").content.decode()
    )

    drift = report.details["drifted"][0]
    assert f'href="/admin/projector/outboxentry/?aggregate={drift["account_id"]}"' in page
    assert "<td>balance</td><td>10.00</td><td>9.00</td>" in page
    assert '<pre>{\n  "drifted": [' in page


def test_a_report_without_drift_says_so(staff_client, report):
    report.details = {"drifted": [], "lagging": []}
    report.save()

    page = staff_client.get(f"/admin/projector/reconcilereport/{report.pk}/change/").content.decode()

    assert "Drift found" in page and "<table><tr><th>Account" not in page


def test_the_replay_runs_and_prune_records_are_listed(staff_client):
    now = timezone.now()
    ReplayRun.objects.create(
        started_at=now, updated_at=now, state=ReplayState.FAILED, started_by="ops", error="boom " * 100
    )
    PruneRecord.objects.create(
        pruned_at=now,
        history_before=now - timedelta(days=30),
        outbox_deleted=7,
        commands_deleted=3,
        pruned_by="ops",
    )

    runs = staff_client.get("/admin/projector/replayrun/").content.decode()
    assert "Failed" in runs and "boom boom" in runs and "boom " * 100 not in runs
    prunes = staff_client.get("/admin/projector/prunerecord/").content.decode()
    assert prunes.count('<td class="field-outbox_deleted">7</td>') == 1
