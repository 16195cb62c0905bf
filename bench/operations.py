"""Benchmark: the operations — replay of a large outbox against the live catch-up, and reconcile.

Usage (from the repository root):
    .venv/bin/python bench/operations.py [--events 100000] [--accounts 5000] [--reconcile-accounts 10000]
                                         [--rounds 2]

With MONGO_URL set it uses that replica set, otherwise a MongoDB stand-in. Same run, same events:
  catch-up — the projector's start-up sweep over the whole outbox (read in version order, apply,
             mark done in MongoDB), from empty read models;
  replay   — ``replay --all``: every event into shadow tables, catch-up with the live tables,
             the fenced swap (the outbox is not written);
and their ratio (replay rate / catch-up rate), interleaved over ``--rounds``, medians reported.
Then reconcile: the time to compare ``--reconcile-accounts`` accounts on both sides.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from decimal import Decimal
from typing import Any

from bson.decimal128 import Decimal128
from django.utils import timezone
from projector_common import prepare_read_database, truncate_read_side
from pymongo import MongoClient

from accounts_write.contract import ACCOUNTS_COLLECTION, OUTBOX_COLLECTION, OutboxStatus
from accounts_write.contract import AccountField as A
from accounts_write.contract import OutboxField as F
from projector import replay
from projector.bootstrap import accounts_collection, outbox_store
from projector.outbox import StatusWriter
from projector.reconcile import reconcile
from projector.retry import sweep_unfinished
from tests.factories.outbox import AccountHistory
from tests.mongo_standin.process import mongo_url_or_standin


def histories(events: int, accounts: int, tag: str) -> list[AccountHistory]:
    bank = [AccountHistory(owner=f"{tag} {n}") for n in range(accounts)]
    for history in bank:
        history.opened()
    for _ in range(events // accounts - 1):
        for history in bank:
            history.deposited("1.50")
    return bank


def load(database: Any, bank: list[AccountHistory]) -> int:
    outbox, accounts = database[OUTBOX_COLLECTION], database[ACCOUNTS_COLLECTION]
    outbox.drop()
    accounts.drop()
    outbox.create_index([(F.AGGREGATE_ID, 1), (F.AGGREGATE_VERSION, 1)], unique=True)
    documents = [doc for history in bank for doc in history.documents]
    for start in range(0, len(documents), 10_000):
        outbox.insert_many(documents[start : start + 10_000])
    now = timezone.now()
    accounts.insert_many(
        [
            {
                A.ID: h.account_id, A.OWNER: h.owner, A.CURRENCY: h.currency,
                A.BALANCE: Decimal128(h.balance.quantize(Decimal("0.01"))), A.STATUS: "open",
                A.VERSION: h.version, A.OPENED_AT: now, A.UPDATED_AT: now, A.CLOSED_AT: None,
            }
            for h in bank
        ]
    )
    return len(documents)


def catch_up(batch: int) -> float:
    truncate_read_side()
    outbox = outbox_store()
    outbox.collection.update_many({}, {"$set": {F.STATUS: OutboxStatus.PENDING.value}})
    started = time.perf_counter()
    with StatusWriter() as writer:
        sweep_unfinished(outbox, owner="bench", batch_size=batch, kind="bench", status_writer=writer)
    return time.perf_counter() - started


def full_replay(batch: int) -> float:
    started = time.perf_counter()
    replay.full_replay(outbox_store(), started_by="bench", batch_size=batch)
    return time.perf_counter() - started


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--reconcile-accounts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500, help="catch-up batch (PROJECTOR_BATCH_SIZE)")
    parser.add_argument("--replay-batch", type=int, default=1000, help="replay --batch-size")
    args = parser.parse_args()
    prepare_read_database()
    with mongo_url_or_standin() as url:
        os.environ["MONGO_URL"] = url
        from django.conf import settings

        settings.MONGO_URL, settings.MONGO_DB = url, "bench_operations"
        client: MongoClient[Any] = MongoClient(url, uuidRepresentation="standard", tz_aware=True)
        database = client["bench_operations"]
        events = load(database, histories(args.events, args.accounts, "bench"))
        print(f"outbox: {events} events of {args.accounts} accounts; load average {os.getloadavg()[0]:.2f}")
        catch_ups, replays = [], []
        for round_number in range(1, args.rounds + 1):
            catch_ups.append(catch_up(args.batch))
            replays.append(full_replay(args.replay_batch))
            print(
                f"round {round_number}: catch-up {events / catch_ups[-1]:,.0f} events/s "
                f"({catch_ups[-1]:.1f} s), replay {events / replays[-1]:,.0f} events/s ({replays[-1]:.1f} s)"
            )
        catch_up_rate = events / statistics.median(catch_ups)
        replay_rate = events / statistics.median(replays)
        print(
            f"replay of {events:,} events: {replay_rate:,.0f} events/s; live catch-up "
            f"{catch_up_rate:,.0f} events/s; ratio replay/catch-up {replay_rate / catch_up_rate:.2f}"
        )

        load(database, histories(args.reconcile_accounts * 2, args.reconcile_accounts, "reconcile"))
        catch_up(args.batch)
        timings = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            result = reconcile(accounts_collection(), outbox_store())
            timings.append(time.perf_counter() - started)
            assert result.checked == args.reconcile_accounts and not result.drifted, result.as_json()
        seconds = statistics.median(timings)
        rounds = ", ".join(f"{t:.2f}" for t in timings)
        print(
            f"reconcile of {args.reconcile_accounts:,} accounts: {seconds:.2f} s "
            f"({args.reconcile_accounts / seconds:,.0f} accounts/s); rounds {rounds}; "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        client.close()


if __name__ == "__main__":
    main()
