"""Sync engine service: reconcile — compare the write state (MongoDB accounts) with the read state.

Per account: balance, status, version, owner, currency, and the ledger (one line per money event,
their sum equal to the balance). An account whose write version is ahead while some of its
events are not yet projected is *lagging*, not drifted. Both sides are walked in account-id order,
a chunk at a time, so memory stays flat whatever the number of accounts. Drift found is checked a
second time before it is reported (an event may have landed between the two reads); ``fix``
re-projects the drifted accounts through the same idempotent apply, then checks them again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone
from pymongo import ASCENDING
from pymongo.collection import Collection

from accounts_read.models import AccountStatus, AccountView, LedgerLine
from accounts_write.contract import AccountField as A
from accounts_write.contract import OutboxField as F
from projector.documents import to_jsonable
from projector.models import ReconcileReport
from projector.outbox import FINISHED, OutboxStore
from projector.replay import rebuild_accounts

REPORT_ITEM_LIMIT = 1000
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Drift:
    account_id: uuid.UUID
    field: str
    write: str | None
    read: str | None


@dataclass(frozen=True)
class Lagging:
    account_id: uuid.UUID
    write_version: int
    read_version: int
    waiting: dict[str, int]


@dataclass
class ReconcileResult:
    started_at: datetime
    checked: int = 0
    drifted: list[Drift] = field(default_factory=list)
    lagging: list[Lagging] = field(default_factory=list)
    attention: list[uuid.UUID] = field(default_factory=list)
    fixed: list[uuid.UUID] = field(default_factory=list)
    finished_at: datetime | None = None

    @property
    def drifted_accounts(self) -> list[uuid.UUID]:
        return list(dict.fromkeys(drift.account_id for drift in self.drifted))

    def as_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "drifted": [asdict(drift) for drift in self.drifted],
            "lagging": [asdict(lag) for lag in self.lagging],
            "attention": self.attention,
            "fixed": self.fixed,
        }


Pair = tuple[Mapping[str, Any] | None, AccountView | None]


def reconcile(
    accounts: Collection[Any],
    outbox: OutboxStore,
    *,
    account_id: uuid.UUID | None = None,
    chunk_size: int = 1000,
) -> ReconcileResult:
    """Compare every account (or one) on both sides; report drift and lag."""
    result = ReconcileResult(started_at=timezone.now())
    for chunk in _pairs(accounts, account_id, chunk_size):
        _check(chunk, outbox, result)
    if result.drifted:
        # A second look at the drifted accounts only: an event may have landed between the reads.
        again = ReconcileResult(started_at=result.started_at)
        _check([_pair(accounts, drifted) for drifted in result.drifted_accounts], outbox, again)
        result.drifted = again.drifted
        result.lagging += again.lagging
    result.finished_at = timezone.now()
    return result


def reconcile_and_fix(
    accounts: Collection[Any], outbox: OutboxStore, *, account_id: uuid.UUID | None = None
) -> ReconcileResult:
    """Reconcile; re-project every drifted account; check those again and report what is left."""
    result = reconcile(accounts, outbox, account_id=account_id)
    drifted = result.drifted_accounts
    if drifted:
        rebuild_accounts(outbox, drifted)
        after = ReconcileResult(started_at=result.started_at)
        _check([_pair(accounts, account) for account in drifted], outbox, after)
        still = set(after.drifted_accounts)
        result.fixed = [account for account in drifted if account not in still]
        result.drifted = after.drifted
    result.finished_at = timezone.now()
    return result


def store_report(result: ReconcileResult, *, scope: str, trigger: str) -> ReconcileReport:
    details = {
        key: value[:REPORT_ITEM_LIMIT] for key, value in result.as_json().items() if isinstance(value, list)
    }
    return ReconcileReport.objects.create(
        started_at=result.started_at,
        finished_at=result.finished_at or timezone.now(),
        scope=scope,
        trigger=trigger,
        checked=result.checked,
        drifted=len(result.drifted_accounts),
        lagging=len(result.lagging),
        attention=len(result.attention),
        fixed=len(result.fixed),
        details=to_jsonable(details),
    )


# --- walking both sides -------------------------------------------------------------------------


def _pair(accounts: Collection[Any], account_id: uuid.UUID) -> Pair:
    return accounts.find_one({A.ID: account_id}), AccountView.objects.filter(account_id=account_id).first()


def _pairs(accounts: Collection[Any], account_id: uuid.UUID | None, chunk_size: int) -> Iterator[list[Pair]]:
    """Both sides of every account, a chunk at a time: the write side's, then read rows it lacks.

    The two databases order UUIDs differently (MariaDB's UUID type does not sort by bytes), so the
    read side is fetched by primary key for each chunk of write-side ids, never by range.
    """
    if account_id is not None:
        yield [_pair(accounts, account_id)]
        return
    previous: uuid.UUID | None = None
    while True:
        query = {A.ID: {"$gt": previous}} if previous is not None else {}
        writes = list(accounts.find(query, sort=[(A.ID, ASCENDING)], limit=chunk_size))
        if not writes:
            break
        views = {
            view.account_id: view
            for view in AccountView.objects.filter(account_id__in=[d[A.ID] for d in writes])
        }
        yield [(doc, views.get(doc[A.ID])) for doc in writes]
        previous = writes[-1][A.ID]
    yield from _read_rows_without_a_write_side(accounts, chunk_size)


def _read_rows_without_a_write_side(accounts: Collection[Any], chunk_size: int) -> Iterator[list[Pair]]:
    ids = AccountView.objects.order_by("account_id").values_list("account_id", flat=True)
    previous: uuid.UUID | None = None
    while True:
        page = ids.filter(account_id__gt=previous) if previous is not None else ids
        chunk = list(page[:chunk_size])
        if not chunk:
            return
        known = {doc[A.ID] for doc in accounts.find({A.ID: {"$in": chunk}}, projection=[A.ID])}
        orphans = [account_id for account_id in chunk if account_id not in known]
        if orphans:
            yield [(None, view) for view in AccountView.objects.filter(account_id__in=orphans)]
        previous = chunk[-1]


# --- comparing ----------------------------------------------------------------------------------


def _check(pairs: list[Pair], outbox: OutboxStore, result: ReconcileResult) -> None:
    ledgers = _ledgers([view.account_id for _, view in pairs if view is not None])
    behind: dict[uuid.UUID, tuple[int, int]] = {}
    for doc, view in pairs:
        result.checked += 1
        if doc is None:
            if view is not None:  # a read row the write side does not know
                result.drifted.append(Drift(view.account_id, "account", "missing", "present"))
            continue
        account_id = doc[A.ID]
        write_version = int(doc[A.VERSION])
        read_version = view.version if view is not None else 0
        if view is not None and view.needs_attention:
            result.attention.append(account_id)
        if write_version > read_version:
            behind[account_id] = (write_version, read_version)
        elif view is not None:
            result.drifted += _compare(doc, view, ledgers.get(account_id, (0, Decimal("0.00"))))
    _sort_out_behind(behind, outbox, result)


def _compare(doc: Mapping[str, Any], view: AccountView, ledger: tuple[int, Decimal]) -> list[Drift]:
    account_id = view.account_id
    write_balance = _decimal(doc[A.BALANCE])
    fields = {
        "version": (int(doc[A.VERSION]), view.version),
        "balance": (write_balance, view.balance),
        "status": (str(doc[A.STATUS]), view.status),
        "owner": (str(doc[A.OWNER]), view.owner),
        "currency": (str(doc[A.CURRENCY]), view.currency),
    }
    drift = [Drift(account_id, name, str(w), str(r)) for name, (w, r) in fields.items() if w != r]
    if view.needs_attention:
        return drift  # a skipped or dead event: its ledger gap is known and audited
    lines, total = ledger
    closed = 1 if doc[A.STATUS] == AccountStatus.CLOSED else 0
    money_events = int(doc[A.VERSION]) - 1 - closed
    if lines != money_events:
        drift.append(Drift(account_id, "ledger_lines", str(money_events), str(lines)))
    if total != view.balance:
        drift.append(Drift(account_id, "ledger_sum", str(view.balance), str(total)))
    return drift


def _sort_out_behind(
    behind: dict[uuid.UUID, tuple[int, int]], outbox: OutboxStore, result: ReconcileResult
) -> None:
    """Behind with events not yet projected: lagging. Behind with every event done: drift."""
    if not behind:
        return
    waiting: dict[uuid.UUID, dict[str, int]] = {}
    query = {F.AGGREGATE_ID: {"$in": list(behind)}, F.STATUS: {"$nin": FINISHED}}
    for doc in outbox.collection.find(query, projection=[F.AGGREGATE_ID, F.STATUS]):
        counts = waiting.setdefault(doc[F.AGGREGATE_ID], {})
        counts[doc[F.STATUS]] = counts.get(doc[F.STATUS], 0) + 1
    for account_id, (write_version, read_version) in behind.items():
        if account_id in waiting:
            result.lagging.append(Lagging(account_id, write_version, read_version, waiting[account_id]))
        elif read_version == 0:
            result.drifted.append(Drift(account_id, "account", "present", "missing"))
        else:
            result.drifted.append(Drift(account_id, "version", str(write_version), str(read_version)))


def _ledgers(account_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, Decimal]]:
    rows = (
        LedgerLine.objects.filter(account_id__in=account_ids)
        .values("account_id")
        .annotate(lines=Count("id"), total=Sum("amount"))
    )
    return {row["account_id"]: (row["lines"], (row["total"] or Decimal(0)).quantize(CENTS)) for row in rows}


def _decimal(value: Any) -> Decimal:
    raw = value.to_decimal() if hasattr(value, "to_decimal") else Decimal(str(value))
    return Decimal(raw).quantize(CENTS)
