"""Sync engine service: prune — delete old command records and old projected outbox entries.

Command records older than the cutoff go (a client repeating such an old command executes it
again). Outbox entries go only when a replay can do without them: entries that are ``done`` or
``skipped``, that occurred before a UTC midnight no later than the cutoff *and* no later than the
start of the last completed full replay, and that form a prefix of their account's versions. The
prune is recorded first (``PrunedHistory`` per account, ``PruneRecord`` with the day boundary),
then the entries are deleted; a replay seeds those accounts from the live tables as of the pruned
version and carries the daily totals of the pruned days over (ADR 0012). Without a completed full
replay nothing is pruned from the outbox unless forced, and the command says so.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from pymongo.collection import Collection

from accounts_write.contract import CommandRecordField as C
from accounts_write.contract import OutboxField as F
from projector.models import PrunedHistory, PruneRecord, ReplayRun, ReplayState
from projector.outbox import FINISHED, VERSION_ORDER, OutboxStore

DELETE_CHUNK = 1000


@dataclass
class PrunePlan:
    cutoff: datetime
    boundary: datetime | None
    why_outbox_kept: str | None
    commands: int
    # Per account: (the version pruned through, the ids of the entries to delete).
    accounts: dict[uuid.UUID, tuple[int, list[uuid.UUID]]] = field(default_factory=dict)
    kept_out_of_order: int = 0

    @property
    def outbox_entries(self) -> int:
        return sum(len(ids) for _, ids in self.accounts.values())


def midnight(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date(), time(), tzinfo=UTC)


def plan(outbox: OutboxStore, commands: Collection[Any], *, older_than: timedelta, force: bool) -> PrunePlan:
    cutoff = timezone.now() - older_than
    last_rebuild = ReplayRun.objects.filter(state=ReplayState.DONE).order_by("-started_at").first()
    boundary: datetime | None = midnight(cutoff)
    why = None
    if last_rebuild is not None:
        boundary = min(midnight(cutoff), midnight(last_rebuild.started_at))
    elif not force:
        boundary = None
        why = (
            "no full replay (manage.py replay --all) has completed, so a replay would still need every "
            "outbox entry; run one first, or pass --force to prune up to the cutoff anyway"
        )
    result = PrunePlan(cutoff, boundary, why, commands.count_documents({C.RECORDED_AT: {"$lt": cutoff}}))
    if boundary is not None:
        _plan_outbox(outbox, boundary, result)
    return result


def _plan_outbox(outbox: OutboxStore, boundary: datetime, result: PrunePlan) -> None:
    query = {F.STATUS: {"$in": FINISHED}, F.OCCURRED_AT: {"$lt": boundary}}
    projection = ["_id", F.AGGREGATE_ID, F.AGGREGATE_VERSION]
    already = dict(PrunedHistory.objects.values_list("account_id", "through_version"))
    candidates: dict[uuid.UUID, list[tuple[int, uuid.UUID]]] = {}
    for doc in outbox.collection.find(query, projection=projection, sort=VERSION_ORDER):
        candidates.setdefault(doc[F.AGGREGATE_ID], []).append((int(doc[F.AGGREGATE_VERSION]), doc["_id"]))
    for account_id, entries in candidates.items():
        expected = already.get(account_id, 0) + 1
        ids: list[uuid.UUID] = []
        for version, entry_id in entries:
            if version != expected:
                break  # only a prefix of the account's history can go
            ids.append(entry_id)
            expected += 1
        result.kept_out_of_order += len(entries) - len(ids)
        if ids:
            result.accounts[account_id] = (expected - 1, ids)


def execute(outbox: OutboxStore, commands: Collection[Any], pruned: PrunePlan, *, by: str) -> PruneRecord:
    """Record what is pruned (MySQL, first), then delete it (MongoDB)."""
    now = timezone.now()
    with transaction.atomic():
        for account_id, (through_version, _) in pruned.accounts.items():
            PrunedHistory.objects.update_or_create(
                account_id=account_id, defaults={"through_version": through_version, "pruned_at": now}
            )
        record = PruneRecord.objects.create(
            pruned_at=now,
            history_before=pruned.boundary or datetime(1970, 1, 1, tzinfo=UTC),
            outbox_deleted=pruned.outbox_entries,
            commands_deleted=0,
            pruned_by=by,
        )
    ids = [entry_id for _, entry_ids in pruned.accounts.values() for entry_id in entry_ids]
    for start in range(0, len(ids), DELETE_CHUNK):
        outbox.collection.delete_many({"_id": {"$in": ids[start : start + DELETE_CHUNK]}})
    deleted = commands.delete_many({C.RECORDED_AT: {"$lt": pruned.cutoff}}).deleted_count
    PruneRecord.objects.filter(pk=record.pk).update(commands_deleted=deleted)
    record.refresh_from_db()
    return record


def daily_boundary() -> datetime | None:
    """The day before which the outbox history was pruned (None: never pruned)."""
    record = PruneRecord.objects.filter(outbox_deleted__gt=0).order_by("-history_before").first()
    return record.history_before if record is not None else None
