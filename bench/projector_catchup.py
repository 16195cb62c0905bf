"""Benchmark: catch-up of an outbox backlog (events/s) against the raw MySQL writes in batches.

Usage (from the repository root):
    .venv/bin/python bench/projector_catchup.py [--events 20000] [--accounts 500] [--batch 500]

With MONGO_URL set it uses that replica set, otherwise a MongoDB stand-in. Three numbers, same
run, same events, same batch size:
  raw      — the rows the projection ends with (account views, ledger lines, daily totals),
             written straight into MySQL on the DB-API connection with the cheapest statements
             (multi-row INSERTs, one joined UPDATE, upserted totals), one transaction per batch;
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
import json
import statistics
import time
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection
from django.utils import timezone
from projector_common import prepare_read_database, truncate_read_side
from pymongo import MongoClient

from accounts_read.models import AccountStatus, AccountView, LedgerEntryType, LedgerLine
from accounts_write.contract import (
    OUTBOX_COLLECTION,
    AccountOpenedPayload,
    FundsDepositedPayload,
    OutboxStatus,
    PublishedEvent,
    decode_entry,
)
from accounts_write.contract import OutboxField as F
from projector.apply import apply_events
from projector.bootstrap import outbox_store
from projector.outbox import StatusWriter
from projector.retry import sweep_unfinished
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


def prep(model: Any, name: str, value: Any) -> Any:
    """The value as Django sends it to MySQL (native uuid on MariaDB, char(32) on MySQL, UTC datetimes)."""
    return model._meta.get_field(name).get_db_prep_value(value, connection, prepared=False)


def raw_writes(events: list[PublishedEvent], batch: int) -> float:
    """The same final rows, written directly on the DB-API connection with the cheapest statements
    (multi-row INSERTs, one joined UPDATE, upserted totals): no gate, no locks, no ORM, no MongoDB."""
    truncate_read_side()
    connection.ensure_connection()
    raw = connection.connection
    started = time.perf_counter()
    currencies: dict[uuid.UUID, str] = {}
    for start in range(0, len(events), batch):
        new: list[list[Any]] = []
        changed: dict[uuid.UUID, list[Any]] = {}
        lines: list[list[Any]] = []
        totals: dict[Any, Decimal] = defaultdict(Decimal)
        for event in events[start : start + batch]:
            key = prep(AccountView, "account_id", event.aggregate_id)
            at = prep(AccountView, "updated_at", event.occurred_at)
            payload = event.payload
            if isinstance(payload, AccountOpenedPayload):
                currencies[event.aggregate_id] = payload.currency
                opened = AccountStatus.OPEN.value
                new.append([key, payload.owner, payload.currency, "0.00", opened, event.version, at, at, ""])
                continue
            assert isinstance(payload, FundsDepositedPayload)  # the backlog holds openings and deposits
            changed[event.aggregate_id] = [key, str(payload.balance_after), event.version, at]
            lines.append([prep(LedgerLine, "event_id", event.event_id), key, event.version,
                          LedgerEntryType.DEPOSIT.value, str(payload.amount), str(payload.balance_after), at])
            totals[(event.occurred_at.date(), currencies[event.aggregate_id])] += payload.amount
        cursor = raw.cursor()
        cursor.execute("START TRANSACTION")
        if new:
            cursor.executemany(
                "INSERT INTO accounts_read_accountview (account_id, owner, currency, balance, status, "
                "version, opened_at, updated_at, attention) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                new)
        if changed:
            rows = " UNION ALL ".join(["SELECT %s AS k, %s AS b, %s AS v, %s AS u"] * len(changed))
            cursor.execute(
                f"UPDATE accounts_read_accountview t JOIN ({rows}) n ON t.account_id = n.k "  # noqa: S608
                "SET t.balance = n.b, t.version = n.v, t.updated_at = n.u",
                [value for row in changed.values() for value in row])
        if lines:
            cursor.executemany(
                "INSERT INTO accounts_read_ledgerline (event_id, account_id, aggregate_version, entry_type, "
                "amount, balance_after, occurred_at) VALUES (%s, %s, %s, %s, %s, %s, %s)", lines)
        for (day, currency), amount in totals.items():
            cursor.execute(
                "INSERT INTO accounts_read_dailytotal (day, currency, deposited, withdrawn, transferred, "
                "deposit_count, withdrawal_count, transfer_count, accounts_opened, accounts_closed) "
                "VALUES (%s, %s, %s, 0, 0, 0, 0, 0, 0, 0) ON DUPLICATE KEY UPDATE deposited = deposited + %s",
                [day, currency, str(amount), str(amount)])
        raw.commit()
        cursor.close()
    return time.perf_counter() - started


def apply_only(events: list[PublishedEvent], batch: int) -> float:
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
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args()
    prepare_read_database()
    documents = backlog(args.events, args.accounts)
    parsed = [decode_entry(document) for document in documents]
    events = sorted((e for e in parsed if isinstance(e, PublishedEvent)), key=lambda e: e.order_key)
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
          f"{raw / caught_up:.2f} of raw  <- the target: at least 0.8")
    print(f"MongoDB side only: {n / mongo_floor:8.0f} events/s ({mongo_floor:.2f} s): "
          "read + mark done, no MySQL")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "events": n, "accounts": args.accounts, "batch": args.batch, "repeat": args.repeat,
            "rounds_s": rounds, "raw_per_s": n / raw, "apply_per_s": n / applied,
            "catch_up_per_s": n / caught_up, "mongo_only_per_s": n / mongo_floor,
            "apply_ratio": raw / applied, "catch_up_ratio": raw / caught_up,
        }))


if __name__ == "__main__":
    main()
