"""Unit: each event type's projection, on unsaved read-model instances (no database)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from accounts_read.models import AccountStatus, AccountViewColumns, LedgerEntryType
from accounts_write.contract import EventType, PublishedEvent, SkippedEvent, decode_event
from projector.projections import BatchChanges, DailyDelta, ProjectionError, contribution, project
from tests.factories.outbox import AccountHistory

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DAY = START.date()


def project_all(
    documents: list[dict[str, Any]], changes: BatchChanges | None = None
) -> tuple[AccountViewColumns | None, BatchChanges]:
    changes = changes or BatchChanges()
    view = None
    for document in documents:
        view = project(decode_event(document), view, changes)
    return view, changes


def history(owner: str = "Ada", currency: str = "EUR") -> AccountHistory:
    account = AccountHistory(owner=owner, currency=currency, start=START)
    account.opened()
    return account


def test_opening_adds_an_empty_account_and_counts_it() -> None:
    ada = history("Ada", "CHF")

    view, changes = project_all(ada.documents)

    assert view is not None
    assert (view.owner, view.currency, view.balance, view.status, view.version) == (
        "Ada",
        "CHF",
        Decimal("0.00"),
        AccountStatus.OPEN,
        1,
    )
    assert changes.new_accounts == {ada.account_id: view}
    assert changes.daily == {(DAY, "CHF"): DailyDelta(accounts_opened=1)}


def test_deposits_and_withdrawals_write_signed_ledger_lines_and_daily_totals() -> None:
    ada = history()
    ada.deposited("10.00")
    ada.withdrawn("2.50")

    view, changes = project_all(ada.documents)

    assert view is not None and (view.balance, view.version) == (Decimal("7.50"), 3)
    assert [(line.entry_type, line.amount, line.balance_after) for line in changes.ledger_lines] == [
        (LedgerEntryType.DEPOSIT, Decimal("10.00"), Decimal("10.00")),
        (LedgerEntryType.WITHDRAWAL, Decimal("-2.50"), Decimal("7.50")),
    ]
    assert all(line.counterparty_id is None and line.transfer_id is None for line in changes.ledger_lines)
    assert changes.daily[(DAY, "EUR")] == DailyDelta(
        deposited=Decimal("10.00"),
        withdrawn=Decimal("2.50"),
        deposit_count=1,
        withdrawal_count=1,
        accounts_opened=1,
    )


def test_a_transfer_names_the_counterparty_and_counts_once() -> None:
    ada, bob = history("Ada"), history("Bob")
    ada.deposited("5.00")
    ada.transfer_to(bob, "3.00")
    changes = BatchChanges()

    _, changes = project_all(ada.documents, changes)
    _, changes = project_all(bob.documents, changes)

    sent, received = changes.ledger_lines[-2], changes.ledger_lines[-1]
    assert (sent.entry_type, sent.amount, sent.counterparty_id) == (
        LedgerEntryType.TRANSFER_OUT,
        Decimal("-3.00"),
        bob.account_id,
    )
    assert (received.entry_type, received.amount, received.counterparty_id) == (
        LedgerEntryType.TRANSFER_IN,
        Decimal("3.00"),
        ada.account_id,
    )
    assert sent.transfer_id == received.transfer_id is not None
    delta = changes.daily[(DAY, "EUR")]
    assert (delta.transferred, delta.transfer_count) == (Decimal("3.00"), 1)


def test_closing_marks_the_account_closed_and_counts_it() -> None:
    ada = history()
    ada.closed()

    view, changes = project_all(ada.documents)

    assert view is not None
    assert (view.status, view.closed_at) == (AccountStatus.CLOSED, START + timedelta(seconds=2))
    assert changes.daily[(DAY, "EUR")].accounts_closed == 1


def test_the_write_sides_balance_wins_over_our_arithmetic(caplog: pytest.LogCaptureFixture) -> None:
    ada = history()
    view, changes = project_all(ada.documents)
    assert view is not None
    view.balance = Decimal("100.00")  # drifted
    deposit = ada.deposited("1.00")

    with caplog.at_level(logging.WARNING, logger="projector.projections"):
        view = project(decode_event(deposit), view, changes)

    assert view.balance == Decimal("1.00")
    assert "balance drift" in caplog.text


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (lambda ada: [ada.deposited("1.00")], "never opened"),
        (lambda ada: [ada.opened(), ada.opened()], "already open"),
        (lambda ada: [ada.opened(), ada.closed(), ada.deposited("1.00")], "on closed account"),
        (lambda ada: [ada.opened(), ada.closed(), ada.closed()], "already closed"),
    ],
)
def test_events_the_account_cannot_take_are_refused(events: Any, message: str) -> None:
    documents = events(AccountHistory(start=START))

    with pytest.raises(ProjectionError, match=message):
        project_all(documents)


def test_a_payload_type_without_a_projection_is_refused() -> None:
    ada = history()
    view, changes = project_all(ada.documents)

    @dataclass(frozen=True)
    class FundsFrozen:
        amount: Decimal

    payload: Any = FundsFrozen(Decimal(1))  # a payload type that has no projection
    event = PublishedEvent(uuid.uuid4(), ada.account_id, 2, EventType.FUNDS_DEPOSITED, START, payload)
    with pytest.raises(ProjectionError, match="no projection"):
        project(event, view, changes)


def test_a_skipped_opening_keeps_a_flagged_row_and_its_deposit_follows() -> None:
    ada = AccountHistory(start=START)
    opened = ada.opened()
    ada.deposited("4.00")
    skipped = SkippedEvent(opened["_id"], ada.account_id, 1, "AccountOpened", START, "ops", START, "poison")
    changes = BatchChanges()

    view = project(skipped, None, changes)
    assert view.attention.startswith("AccountOpened v1") and view.attention_event_id == opened["_id"]
    view = project(decode_event(ada.documents[1]), view, changes)

    assert (view.owner, view.balance, view.version) == ("", Decimal("4.00"), 2)
    assert view.attention  # still flagged: the opening's effect is missing


def test_applying_the_flagged_event_clears_the_flag() -> None:
    ada = history()
    deposit = ada.deposited("2.00")
    view, changes = project_all(ada.documents[:1])
    assert view is not None
    view.attention, view.attention_event_id = "dead letter", deposit["_id"]

    view = project(decode_event(deposit), view, changes)

    assert (view.attention, view.attention_event_id) == ("", None)


def test_days_before_daily_from_are_left_to_the_carried_over_totals() -> None:
    ada = history()
    ada.deposited("1.00")

    _, changes = project_all(ada.documents, BatchChanges(daily_from=DAY + timedelta(days=1)))

    assert changes.daily == {}
    assert len(changes.ledger_lines) == 1


def test_contribution_mirrors_what_the_projections_added() -> None:
    ada, bob = history("Ada"), history("Bob")
    ada.deposited("9.00")
    ada.withdrawn("1.00")
    ada.transfer_to(bob, "3.00")
    ada.closed()
    view, changes = project_all(ada.documents)
    assert view is not None

    mirrored = contribution(view, changes.ledger_lines)

    assert mirrored.daily == changes.daily
    assert contribution(view, changes.ledger_lines, daily_from=date(2027, 1, 1)).daily == {}
