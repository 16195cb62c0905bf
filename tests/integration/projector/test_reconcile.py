"""Reconcile: drift of each kind found and fixed, lag told apart from drift, exit codes, reports."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts_read.models import AccountView, LedgerLine
from accounts_write import bootstrap
from accounts_write.adapters.indexes import ensure_collections_and_indexes
from accounts_write.domain.commands import (
    CloseAccount,
    DepositFunds,
    OpenAccount,
    TransferFunds,
    WithdrawFunds,
)
from config.mongo import close_mongo_client
from projector.bootstrap import accounts_collection, outbox_store
from projector.models import ReconcileReport
from projector.reconcile import reconcile, reconcile_and_fix
from projector.retry import sweep_unfinished
from projector.tasks import reconcile_read_models
from tests.factories.read_models import AccountViewFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bank(settings, mongo_url, mongo_db):
    """Three accounts with deposits, a withdrawal, a transfer, and one closed, all projected."""
    settings.MONGO_URL, settings.MONGO_DB = mongo_url, mongo_db.name
    close_mongo_client()
    ensure_collections_and_indexes(mongo_db)
    with bootstrap.override_bus(bootstrap.build_bus(database=mongo_db)):
        ada = bootstrap.handle(OpenAccount(owner="Ada", initial_deposit=Decimal("100"))).account_id
        bob = bootstrap.handle(OpenAccount(owner="Bob", initial_deposit=Decimal("20"))).account_id
        cy = bootstrap.handle(OpenAccount(owner="Cy")).account_id
        bootstrap.handle(DepositFunds(account_id=ada, amount=Decimal("5.50")))
        bootstrap.handle(WithdrawFunds(account_id=bob, amount=Decimal("2.25")))
        bootstrap.handle(TransferFunds(from_account=ada, to_account=bob, amount=Decimal("10")))
        bootstrap.handle(CloseAccount(account_id=cy))
        project()
        yield {"ada": ada, "bob": bob, "cy": cy}
    close_mongo_client()


def project() -> None:
    sweep_unfinished(outbox_store(), owner="test", batch_size=100, kind="test")


def check(**options):
    return reconcile(accounts_collection(), outbox_store(), **options)


def test_a_consistent_bank_has_no_drift_and_the_command_exits_zero(bank):
    result = check()
    out = StringIO()
    call_command("reconcile", stdout=out)

    assert (result.checked, result.drifted, result.lagging) == (3, [], [])
    assert "checked 3 account(s)" in out.getvalue() and "no drift" in out.getvalue()


def views(ids, name):
    return AccountView.objects.filter(account_id=ids[name])


def lines(ids, name):
    return LedgerLine.objects.filter(account_id=ids[name])


CORRUPTIONS = {
    "balance": (lambda ids: views(ids, "ada").update(balance=Decimal("1.00")), "balance"),
    "status": (lambda ids: views(ids, "cy").update(status="open"), "status"),
    "owner": (lambda ids: views(ids, "bob").update(owner="Mallory"), "owner"),
    "read-ahead": (lambda ids: views(ids, "bob").update(version=9), "version"),
    "read-behind": (lambda ids: views(ids, "ada").update(version=2), "version"),
    "ledger-line": (lambda ids: lines(ids, "bob").order_by("pk")[:1].get().delete(), "ledger_lines"),
    "ledger-sum": (lambda ids: lines(ids, "ada").update(amount=Decimal("1")), "ledger_sum"),
    "missing": (lambda ids: views(ids, "bob").delete(), "account"),
    "orphan": (lambda ids: AccountViewFactory(owner="Ghost"), "account"),
}


@pytest.mark.parametrize(("corrupt", "field"), CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_injected_drift_is_found_and_fix_repairs_it(bank, corrupt, field):
    corrupt(bank)

    found = check()
    assert field in {drift.field for drift in found.drifted}
    with pytest.raises(CommandError) as exit_status:
        call_command("reconcile", stdout=StringIO())
    assert exit_status.value.returncode == 1

    fixed = reconcile_and_fix(accounts_collection(), outbox_store())

    assert fixed.drifted == [] and len(fixed.fixed) == 1
    assert check().drifted == []
    call_command("reconcile", stdout=StringIO())  # exit 0 again


def test_events_not_yet_projected_are_lagging_not_drift(bank):
    bootstrap.handle(DepositFunds(account_id=bank["ada"], amount=Decimal("1.00")))

    result = check()

    assert result.drifted == []
    [lag] = result.lagging
    assert (lag.account_id, lag.write_version - lag.read_version) == (bank["ada"], 1)
    assert lag.waiting == {"pending": 1}


def test_the_json_report_names_each_drifted_field(bank):
    AccountView.objects.filter(account_id=bank["ada"]).update(balance=Decimal("7.00"), owner="Eve")
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("reconcile", "--json", "--account", str(bank["ada"]), stdout=out)

    report = json.loads(out.getvalue())
    assert report["checked"] == 1
    assert {(d["account_id"], d["field"], d["read"]) for d in report["drifted"]} >= {
        (str(bank["ada"]), "balance", "7.00"),
        (str(bank["ada"]), "owner", "Eve"),
    }
    assert {d["write"] for d in report["drifted"] if d["field"] == "owner"} == {"Ada"}


def test_fix_from_the_command_repairs_and_exits_zero(bank):
    AccountView.objects.filter(account_id=bank["bob"]).update(balance=Decimal("0.00"))
    out = StringIO()

    call_command("reconcile", "--fix", stdout=out)

    assert "re-projected and now clean: 1 account(s)" in out.getvalue()
    assert AccountView.objects.get(account_id=bank["bob"]).balance == Decimal("27.75")


@pytest.mark.slow
def test_exit_status_two_when_it_cannot_run(bank, settings):
    settings.MONGO_URL = "mongodb://127.0.0.1:9/?replicaSet=rs0"
    settings.MONGO_SERVER_SELECTION_TIMEOUT_MS = 200
    close_mongo_client()
    with pytest.raises(CommandError) as unreachable:
        call_command("reconcile", stdout=StringIO())
    with pytest.raises(CommandError) as bad_id:
        call_command("reconcile", "--account", "not-a-uuid", stdout=StringIO())

    assert (unreachable.value.returncode, bad_id.value.returncode) == (2, 2)


def test_reports_are_stored_shown_in_the_status_and_exported_to_prometheus(bank, client):
    AccountView.objects.filter(account_id=bank["ada"]).update(owner="Eve")

    summary = reconcile_read_models()

    assert summary == {"checked": 3, "drifted": 1, "lagging": 0}
    report = ReconcileReport.objects.get()
    assert (report.trigger, report.scope, report.drifted) == ("beat", "all", 1)
    assert report.details["drifted"][0]["field"] == "owner"
    status = client.get("/api/sync/status").json()
    assert status["last_reconcile"]["drifted"] == 1
    metrics = client.get("/metrics").content.decode()
    assert "reconcile_drifted_accounts 1.0" in metrics


def test_a_single_unknown_account_is_reported_as_missing_on_both_sides_without_drift(bank):
    result = check(account_id=uuid.uuid4())

    assert (result.checked, result.drifted) == (1, [])


def test_walking_in_small_chunks_checks_each_account_once(bank):
    """Regression: chunks matched by id range double-counted accounts, as MariaDB sorts UUIDs its own way."""
    for n in range(20):
        bootstrap.handle(OpenAccount(owner=f"Many {n}", initial_deposit=Decimal("1")))
    project()

    result = reconcile(accounts_collection(), outbox_store(), chunk_size=3)

    assert (result.checked, result.drifted, result.lagging) == (23, [], [])
