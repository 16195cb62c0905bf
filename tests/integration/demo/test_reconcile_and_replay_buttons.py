"""The demo page's fault buttons for every account: reconcile (and fix) a corrupted read row, and a
full blue/green replay started in the background, its progress in the sync strip."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from pymongo.database import Database

from accounts_read.models import AccountView, LedgerLine
from projector.bootstrap import outbox_store
from projector.demo_replay import BACKGROUND, BackgroundReplay, ReplayStoppedError, replay_progress
from projector.models import ReconcileReport, ReplayRun, ReplayState
from projector.replay import ReplayBusyError, replay_lock_name
from tests.integration.demo.faults import open_account, project

pytestmark = pytest.mark.django_db


@pytest.fixture
def faults(settings: Any) -> None:
    settings.DEMO_FAULTS = True


def post(client: Client, url: str, **data: str) -> str:
    response = client.post(url, data)
    assert response.status_code == 200
    return str(response.content.decode())


def corrupted_bank(htmx: Client) -> tuple[uuid.UUID, uuid.UUID]:
    """Ada (100.00) and Bob (20.00), projected; Ada's read row then corrupted from the page."""
    ada, bob = open_account(htmx, "Ada", "100.00"), open_account(htmx, "Bob", "20.00")
    project()
    post(htmx, "/demo/faults/corrupt/", selected=str(ada))
    return ada, bob


def test_reconcile_finds_the_corruption_and_the_strip_shows_field_write_side_and_read_side(
    htmx: Client, write_db: Database[Any], faults: None
) -> None:
    ada, _ = corrupted_bank(htmx)

    html = post(htmx, "/demo/faults/reconcile/", scope="all", fix="0")

    assert (
        "Reconcile (all accounts): 2 checked, 1 drifted, 0 lagging. The drift is listed under Last reconcile."
        in html
    )
    drift = html[html.index('id="reconcile-drift"') :]
    assert "<caption>Drift found</caption>" in drift
    short = f'<code class="meta" title="{ada}">{str(ada)[:8]}</code>'
    assert f"<tr><td>balance {short}</td><td>100.00</td><td>1100.00</td></tr>" in drift
    assert "<td>Ada</td><td>Ada (corrupted)</td>" in drift
    report = ReconcileReport.objects.get()
    assert (report.trigger, report.scope, report.drifted) == ("demo", "all", 1)
    assert AccountView.objects.get(account_id=ada).balance == Decimal("1100.00")  # found, not fixed


def test_reconcile_and_fix_repairs_the_selected_account_and_the_panes_converge(
    htmx: Client, write_db: Database[Any], faults: None
) -> None:
    ada, _ = corrupted_bank(htmx)

    html = post(htmx, "/demo/faults/reconcile/", scope="selected", fix="1", selected=str(ada))

    assert (
        f"Reconcile and fix (account {str(ada)[:8]}): 1 checked, 0 drifted, 0 lagging — 1 re-projected"
        in html
    )
    assert f'Re-projected: <code title="{ada}">{str(ada)[:8]}</code>' in html
    view = AccountView.objects.get(account_id=ada)
    assert (view.owner, view.balance, view.version) == ("Ada", Decimal("100.00"), 2)
    report = ReconcileReport.objects.get()
    assert (report.trigger, report.scope, report.fixed, report.drifted) == ("demo", str(ada), 1, 0)
    assert "1100.00" not in htmx.get(f"/demo/read/?selected={ada}").content.decode()


def test_reconcile_without_drift_says_so(htmx: Client, write_db: Database[Any], faults: None) -> None:
    open_account(htmx)
    project()

    html = post(htmx, "/demo/faults/reconcile/", scope="all", fix="0")

    assert "Reconcile (all accounts): 1 checked, 0 drifted, 0 lagging. No drift." in html
    assert 'id="reconcile-drift"' not in html


def test_reconcile_of_the_selected_account_without_a_selection_or_with_a_bad_scope_says_so(
    htmx: Client, write_db: Database[Any], faults: None
) -> None:
    assert "Choose an account first" in post(htmx, "/demo/faults/reconcile/", scope="selected")
    assert "Unknown scope &#x27;some&#x27;" in post(htmx, "/demo/faults/reconcile/", scope="some")
    assert not ReconcileReport.objects.exists()


@pytest.mark.slow
def test_reconcile_with_mongodb_down_answers_in_words(client: Client, mongo_down: None, faults: None) -> None:
    response = client.post("/demo/faults/reconcile/", {"scope": "all"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "MongoDB cannot be reached right now" in response.content.decode()


def test_the_strip_shows_the_last_reconcile_even_without_the_fault_buttons(
    client: Client, write_db: Any
) -> None:
    now = timezone.now()
    ReconcileReport.objects.create(
        started_at=now,
        finished_at=now,
        scope="all",
        trigger="beat",
        checked=7,
        drifted=0,
        lagging=1,
        details={"drifted": [], "fixed": []},
    )

    html = client.get("/demo/sync/").content.decode()

    assert "Last reconcile" in html and "beat" in html and "7 checked" in html
    assert "Reconcile and fix" not in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_replay_runs_in_the_background_and_the_strip_shows_its_progress(
    htmx: Client, write_db: Database[Any], faults: None
) -> None:
    ada, _ = corrupted_bank(htmx)

    html = post(htmx, "/demo/faults/replay/")

    assert "Replay started" in html or "done:" in html
    assert BACKGROUND.join(timeout=60)
    run = ReplayRun.objects.get()
    assert (run.state, run.started_by, run.events_seen) == (ReplayState.DONE, "teller", 4)
    strip = htmx.get("/demo/sync/").content.decode()
    assert "Swapped in" in strip and "4 events read, 4 applied" in strip
    view = AccountView.objects.get(account_id=ada)  # rebuilt from the events: the corruption is gone
    assert (view.owner, view.balance) == ("Ada", Decimal("100.00"))
    assert LedgerLine.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_replay_while_another_holds_the_replay_lock_says_it_is_busy(
    htmx: Client, write_db: Database[Any], faults: None
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK(%s, 0)", [replay_lock_name()])
    try:
        html = post(htmx, "/demo/faults/replay/")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT RELEASE_LOCK(%s)", [replay_lock_name()])

    assert "Replay not started: another replay is running (it holds the replay lock)." in html
    assert not ReplayRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_replay_that_loses_the_race_for_the_lock_or_fails_is_reported_not_raised(write_db: Any) -> None:
    def busy(*args: Any, **kwargs: Any) -> ReplayRun:
        raise ReplayBusyError("another replay is running (it holds the replay lock)")

    def broken(*args: Any, **kwargs: Any) -> ReplayRun:
        raise RuntimeError("the shadow tables are still behind")

    with pytest.raises(ReplayBusyError):
        BackgroundReplay(replay=busy).start(outbox_store(), started_by="t")
    with pytest.raises(ReplayStoppedError, match="RuntimeError: the shadow tables are still behind"):
        BackgroundReplay(replay=broken).start(outbox_store(), started_by="t")


@pytest.mark.django_db(transaction=True)
def test_a_second_start_while_the_first_runs_is_refused(write_db: Any) -> None:
    release = threading.Event()

    def slow(*args: Any, progress: Any, **kwargs: Any) -> ReplayRun:
        progress(1)
        release.wait(10)
        return ReplayRun()

    replays = BackgroundReplay(replay=slow)
    assert replays.start(outbox_store(), started_by="t") is None  # started, still running
    with pytest.raises(ReplayBusyError, match="still running"):
        replays.start(outbox_store(), started_by="t")
    release.set()
    assert replays.join(timeout=10)


def test_an_unfinished_replay_nobody_runs_is_shown_as_stopped_and_resumable(
    client: Client, write_db: Any
) -> None:
    started = timezone.now() - timedelta(seconds=10)
    ReplayRun.objects.create(
        started_at=started,
        updated_at=started + timedelta(seconds=5),
        state=ReplayState.BUILDING,
        started_by="alice",
        events_seen=500,
    )

    progress = replay_progress(outbox_store())
    html = client.get("/demo/sync/").content.decode()

    assert progress is not None and progress.stopped and progress.rate == pytest.approx(100.0)
    assert "Building the shadow tables" in html and "stopped" in html and "start it again to resume" in html
    assert "500 events read" in html and "100 events/s" in html
