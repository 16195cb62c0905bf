"""Benchmark: catch-up of an outbox backlog (events/s) against the raw MySQL writes in batches.

Usage (from the repository root):
    .venv/bin/python bench/projector_catchup.py [--events 20000] [--accounts 500] [--batch 500]

With MONGO_URL set it uses that replica set, otherwise a MongoDB stand-in. Three numbers, same
run, same events, same batch size:
  raw      — the rows the projection ends with (account views, ledger lines, daily totals),
             written straight into MySQL with bulk inserts/updates, one transaction per batch;
  apply    — apply_events only (version gate, row locks, projections), events parsed beforehand;
  catch-up — the projector's start-up sweep: read the outbox in version order, apply, mark
             done in MongoDB (what runprojector does before it tails the change stream);
and, for scale, the MongoDB side alone: read the outbox in version order and mark every entry
done, no MySQL at all — a floor under the catch-up time that no projector code can beat.

Each measurement is repeated (``--repeat``, interleaved round by round, so a slow spell of the
machine hits all of them) and the median is reported; the ratio is median against median.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from projector_common import prepare_read_database, truncate_read_side
from pymongo import MongoClient

from accounts_read.models import AccountStatus, AccountView, DailyTotal, LedgerEntryType, LedgerLine
from accounts_write.contract import OUTBOX_COLLECTION, OutboxStatus
from accounts_write.contract import OutboxField as F
from projector.apply import apply_events
from projector.bootstrap import outbox_store
from projector.events import ProjectorEvent, parse_event
from projector.retry import sweep_unfinished
from projector.status_writer import StatusWriter
from tests.factories.outbox import AccountHistory
from tests.mongo_standin.process import mongo_url_or_standin


def backlog(events: int, accounts: int) -> list[dict[str, Any]]:
    histories = [AccountHistory(owner=f"bench {n}") for n in range(accounts)]
    for history in histories:
        history.opened()
    per_account = events // accounts - 1
    for _ in range(per_account):
        for history in histories:
            history.deposited("1.50")
    return [document for history in histories for document in history.documents]


def raw_writes(events: list[ProjectorEvent], batch: int) -> float:
    """The same final rows, written directly: no gate, no locks, no MongoDB."""
    truncate_read_side()
    started = time.perf_counter()
    seen: dict[uuid.UUID, AccountView] = {}
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        new: dict[uuid.UUID, AccountView] = {}
        lines: list[LedgerLine] = []
        totals: dict[Any, Decimal] = defaultdict(Decimal)
        for event in chunk:
            view = seen.get(event.aggregate_id) or new.get(event.aggregate_id)
            if view is None:
                view = new[event.aggregate_id] = AccountView(
                    account_id=event.aggregate_id, owner=event.owner, currency=event.currency,
                    balance=Decimal("0.00"), status=AccountStatus.OPEN, version=event.version,
                    opened_at=event.occurred_at, updated_at=event.occurred_at,
                )
                continue
            view.balance, view.version = event.balance_after, event.version
            view.updated_at = event.occurred_at
            lines.append(LedgerLine(event_id=event.event_id, account=view, aggregate_version=event.version,
                                    entry_type=LedgerEntryType.DEPOSIT, amount=event.amount,
                                    balance_after=event.balance_after, occurred_at=event.occurred_at))
            totals[(event.occurred_at.date(), view.currency)] += event.amount or 0
        changed = {line.account_id: line.account for line in lines if line.account_id not in new}
        with transaction.atomic():
            AccountView.objects.bulk_create(new.values())
            AccountView.objects.bulk_update(changed.values(), ("balance", "version", "updated_at"))
            LedgerLine.objects.bulk_create(lines)
            for (day, currency), amount in totals.items():
                total, _ = DailyTotal.objects.get_or_create(day=day, currency=currency)
                total.deposited += amount
                total.save()
        seen.update(new)
    return time.perf_counter() - started


def apply_only(events: list[ProjectorEvent], batch: int) -> float:
    truncate_read_side()
    started = time.perf_counter()
    for start in range(0, len(events), batch):
        apply_events(events[start : start + batch])
    return time.perf_counter() - started


def catch_up(url: str, documents: list[dict[str, Any]], batch: int) -> float:
    truncate_read_side()
    client: MongoClient[dict[str, Any]] = MongoClient(url, uuidRepresentation="standard", tz_aware=True)
    database = client[f"bench_catchup_{uuid.uuid4().hex[:8]}"]
    try:
        database[OUTBOX_COLLECTION].insert_many(documents)
        outbox = outbox_store(database)
        outbox.ensure_indexes()
        started = time.perf_counter()
        with StatusWriter() as status_writer:
            report = sweep_unfinished(
                outbox, owner="bench", batch_size=batch, kind="catch-up", status_writer=status_writer
            )
        elapsed = time.perf_counter() - started
        assert report.applied == len(documents), report
        assert database[OUTBOX_COLLECTION].count_documents({F.STATUS: {"$ne": OutboxStatus.DONE.value}}) == 0
        return elapsed
    finally:
        client.drop_database(database.name)
        client.close()


def outbox_only(url: str, documents: list[dict[str, Any]], batch: int) -> float:
    client: MongoClient[dict[str, Any]] = MongoClient(url, uuidRepresentation="standard", tz_aware=True)
    database = client[f"bench_outbox_{uuid.uuid4().hex[:8]}"]
    try:
        database[OUTBOX_COLLECTION].insert_many(documents)
        outbox = outbox_store(database)
        outbox.ensure_indexes()
        started = time.perf_counter()
        cursor = outbox.unfinished(batch_size=batch)
        while chunk := [doc["_id"] for _, doc in zip(range(batch), cursor, strict=False)]:
            outbox.mark_done(chunk, now=timezone.now())
        return time.perf_counter() - started
    finally:
        client.drop_database(database.name)
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are reported")
    args = parser.parse_args()
    prepare_read_database()
    documents = backlog(args.events, args.accounts)
    parsed = [parse_event(document) for document in documents]
    events = sorted((e for e in parsed if isinstance(e, ProjectorEvent)), key=lambda e: e.order_key)
    n = len(events)
    rounds: dict[str, list[float]] = defaultdict(list)
    with mongo_url_or_standin() as url:
        for _ in range(args.repeat):
            rounds["raw"].append(raw_writes(events, args.batch))
            rounds["apply"].append(apply_only(events, args.batch))
            rounds["catch-up"].append(catch_up(url, documents, args.batch))
            rounds["mongo"].append(outbox_only(url, documents, args.batch))
    raw, applied, caught_up, mongo_floor = (
        statistics.median(rounds[name]) for name in ("raw", "apply", "catch-up", "mongo")
    )
    print(f"backlog: {n} events over {args.accounts} accounts, batch {args.batch}, "
          f"median of {args.repeat} rounds")
    for name, times in rounds.items():
        print(f"  {name:9s} rounds (s): " + " ".join(f"{t:.2f}" for t in times))
    print(f"raw MySQL writes : {n / raw:8.0f} events/s ({raw:.2f} s)")
    print(f"apply_events     : {n / applied:8.0f} events/s ({applied:.2f} s) = {raw / applied:.2f} of raw")
    print(f"catch-up (outbox): {n / caught_up:8.0f} events/s ({caught_up:.2f} s) = "
          f"{raw / caught_up:.2f} of raw  <- the target: at least 0.7")
    print(f"MongoDB side only: {n / mongo_floor:8.0f} events/s ({mongo_floor:.2f} s): "
          "read + mark done, no MySQL")


if __name__ == "__main__":
    main()
