"""Sync engine service: the demo page's fault operations that are not switches — corrupt a read row,
and what the last reconcile found — for the fault buttons (``DEMO_FAULTS`` only, ADR 0022).

Corrupting a read row is drift on purpose: it changes the account view behind the projector's
back (as a stray script or a hand edit would), so that ``reconcile`` has something to find and
``reconcile_and_fix`` something to repair. The version stays: only values drift.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts_read.models import AccountView
from projector.leader import share_fence
from projector.models import ReconcileReport

CORRUPTION_BALANCE_DELTA = Decimal("1000.00")
CORRUPTION_OWNER_MARK = " (corrupted)"
SHOWN_DRIFT_ITEMS = 10


@dataclass(frozen=True)
class Corruption:
    account_id: uuid.UUID
    owner_before: str
    owner_after: str
    balance_before: Decimal
    balance_after: Decimal


def corrupt_read_row(account_id: uuid.UUID) -> Corruption | None:
    """Change the account view's balance and owner; None when the read side has no row for it."""
    with transaction.atomic():
        share_fence()  # a replay swapping the tables in meanwhile must not lose the change
        view = AccountView.objects.select_for_update().filter(account_id=account_id).first()
        if view is None:
            return None
        owner, balance = view.owner, view.balance
        if not owner.endswith(CORRUPTION_OWNER_MARK):
            max_length = AccountView._meta.get_field("owner").max_length or 200
            view.owner = owner[: max_length - len(CORRUPTION_OWNER_MARK)] + CORRUPTION_OWNER_MARK
        view.balance = balance + CORRUPTION_BALANCE_DELTA
        view.save(update_fields=["owner", "balance"])
    return Corruption(account_id, owner, view.owner, balance, view.balance)


@dataclass(frozen=True)
class DriftItem:
    account_id: str
    field: str
    write: str
    read: str


@dataclass(frozen=True)
class ReconcileSummary:
    """The latest stored reconcile report, as the sync strip shows it."""

    finished_at: datetime
    age_seconds: float
    scope: str
    trigger: str
    checked: int
    drifted: int
    lagging: int
    fixed: int
    drift: list[DriftItem]
    more_drift: int
    fixed_accounts: list[str]


def last_reconcile() -> ReconcileSummary | None:
    report = ReconcileReport.objects.order_by("-started_at").first()
    if report is None:
        return None
    details: dict[str, Any] = report.details if isinstance(report.details, dict) else {}
    drifted = [item for item in details.get("drifted") or [] if isinstance(item, dict)]
    drift = [
        DriftItem(
            str(item.get("account_id", "")),
            str(item.get("field", "")),
            _text(item.get("write")),
            _text(item.get("read")),
        )
        for item in drifted[:SHOWN_DRIFT_ITEMS]
    ]
    return ReconcileSummary(
        finished_at=report.finished_at,
        age_seconds=max(0.0, (timezone.now() - report.finished_at).total_seconds()),
        scope=report.scope,
        trigger=report.trigger,
        checked=report.checked,
        drifted=report.drifted,
        lagging=report.lagging,
        fixed=report.fixed,
        drift=drift,
        more_drift=max(0, len(drifted) - len(drift)),
        fixed_accounts=[str(account) for account in details.get("fixed") or []],
    )


def _text(value: Any) -> str:
    return "—" if value is None else str(value)
