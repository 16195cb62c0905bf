"""Benchmark: deposits/s through the write API against the same transaction in bare pymongo.

Usage (from the repository root):
    .venv/bin/python -m bench.write_throughput [--deposits 2000] [--rounds 4]

With MONGO_URL set, it uses that replica set; otherwise it starts a MongoDB stand-in.
The API is measured twice: through Django's test client (all middleware) and by calling the
ninja view directly. All paths run the same MongoDB round trips per deposit, in one transaction each: read the
command record, read the account, update the account with a version check, insert the
outbox event, insert the command record, commit. The API path adds everything else: Django's
request handling, ninja's parsing and validation, the command bus, the domain and the mappers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
# A benchmark measures the path, not the abuse limit (600 commands a minute per key by default).
os.environ["API_WRITE_RATE_LIMIT"] = "0"

from bson.decimal128 import Decimal128
from django.test import Client, RequestFactory
from django.test.utils import setup_test_environment
from django.urls import resolve
from projector_common import prepare_read_database
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from accounts_write import bootstrap, contract
from accounts_write.adapters.indexes import ensure_collections_and_indexes
from accounts_write.application.results import AccountCommandResult
from accounts_write.domain.commands import OpenAccount
from tests.auth import bearer, issue_api_key
from tests.mongo_standin.process import mongo_url_or_standin

MongoDatabase = Database[dict[str, Any]]
OUT = contract.OutboxField
AMOUNT = "1.00"




def open_account(database: MongoDatabase) -> uuid.UUID:
    with bootstrap.override_bus(bootstrap.build_bus(database=database)):
        result = bootstrap.handle(OpenAccount(owner="Bench"))
    assert isinstance(result, AccountCommandResult)
    return result.account_id


def api_deposit(client: Client, account_id: uuid.UUID) -> Callable[[], None]:
    """The whole Django stack through the test client, authenticated as an API client."""
    path = f"/api/accounts/{account_id}/deposit"
    body = f'{{"amount": "{AMOUNT}"}}'

    def deposit() -> None:
        response = client.post(path, data=body, content_type="application/json",
                               headers={"Idempotency-Key": str(uuid.uuid4())})
        if response.status_code != 200:
            raise RuntimeError(f"deposit failed: {response.status_code} {response.content!r}")

    return deposit


def view_deposit(account_id: uuid.UUID, key: str) -> Callable[[], None]:
    """The ninja view itself: auth, parsing, validation, handler, rendering; no middleware, no test client."""
    path = f"/api/accounts/{account_id}/deposit"
    body = f'{{"amount": "{AMOUNT}"}}'
    match = resolve(path)
    factory = RequestFactory()

    def deposit() -> None:
        request = factory.post(path, data=body, content_type="application/json",
                               headers={"Idempotency-Key": str(uuid.uuid4()), **bearer(key)})
        response = match.func(request, *match.args, **match.kwargs)
        if response.status_code != 200:
            raise RuntimeError(f"deposit failed: {response.status_code} {response.content!r}")

    return deposit


def bare_deposit(database: MongoDatabase, account_id: uuid.UUID) -> Callable[[], None]:
    accounts = database[contract.ACCOUNTS_COLLECTION]
    outbox = database[contract.OUTBOX_COLLECTION]
    commands = database[contract.COMMANDS_COLLECTION]
    amount = Decimal(AMOUNT)

    def deposit() -> None:
        command_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        with database.client.start_session() as session:
            session.start_transaction(
                read_concern=ReadConcern("snapshot"), write_concern=WriteConcern("majority")
            )
            commands.find_one({"_id": command_id}, session=session)
            account = accounts.find_one({"_id": account_id}, session=session)
            assert account is not None
            version = account["version"] + 1
            balance = account["balance"].to_decimal() + amount
            updated = accounts.update_one(
                {"_id": account_id, "version": account["version"]},
                {"$set": {"balance": Decimal128(balance), "version": version, "updated_at": now}},
                session=session,
            )
            assert updated.matched_count == 1
            event_id = uuid.uuid4()
            outbox.insert_many([{
                OUT.EVENT_ID: event_id, OUT.AGGREGATE_TYPE: contract.AGGREGATE_TYPE,
                OUT.AGGREGATE_ID: account_id,
                OUT.AGGREGATE_VERSION: version, OUT.EVENT_TYPE: contract.EventType.FUNDS_DEPOSITED.value,
                OUT.SCHEMA_VERSION: 1,
                OUT.PAYLOAD: {"amount": Decimal128(amount), "balance_after": Decimal128(balance)},
                OUT.OCCURRED_AT: now, OUT.COMMAND_ID: command_id, OUT.CORRELATION_ID: command_id,
                **contract.initial_delivery_state(),
            }], session=session)
            commands.insert_one({
                "_id": command_id, "command_type": "DepositFunds", "payload_hash": "0" * 64,
                "result": {"kind": "account", "account_id": account_id, "version": version,
                           "balance": Decimal128(balance), "event_ids": [event_id]},
                "recorded_at": now,
            }, session=session)
            session.commit_transaction()

    return deposit


def timed(operation: Callable[[], None], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        operation()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deposits", type=int, default=2000, help="deposits per path (default 2000)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds, to even out drift")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args()
    setup_test_environment()  # the test client's host, "testserver", becomes an allowed host
    prepare_read_database()  # API keys live in MySQL
    key = issue_api_key()

    with mongo_url_or_standin() as url:
        client: MongoClient[dict[str, Any]] = MongoClient(url, uuidRepresentation="standard", tz_aware=True)
        database = client[f"bench_{uuid.uuid4().hex}"]
        try:
            ensure_collections_and_indexes(database)
            paths = {
                "api": api_deposit(Client(headers=bearer(key)), open_account(database)),
                "view": view_deposit(open_account(database), key),
                "bare": bare_deposit(database, open_account(database)),
            }
            with bootstrap.override_bus(bootstrap.build_bus(database=database)):
                for operation in paths.values():
                    timed(operation, args.warmup)
                per_round = args.deposits // args.rounds
                seconds = dict.fromkeys(paths, 0.0)
                per_round_rates: dict[str, list[float]] = {name: [] for name in paths}
                for _ in range(args.rounds):
                    for name, operation in paths.items():
                        spent = timed(operation, per_round)
                        seconds[name] += spent
                        per_round_rates[name].append(round(per_round / spent, 1))
            total = per_round * args.rounds
            rates = {name: total / spent for name, spent in seconds.items()}
            print(f"MongoDB: {'MONGO_URL' if os.environ.get('MONGO_URL') else 'stand-in'}; "
                  f"{total} deposits per path, {args.rounds} alternating rounds")
            print(f"API via Django test client (full middleware): {rates['api']:8.1f} deposits/s  "
                  f"ratio {rates['api'] / rates['bare']:.2f}")
            print(f"API via the ninja view (no middleware)      : {rates['view']:8.1f} deposits/s  "
                  f"ratio {rates['view'] / rates['bare']:.2f}")
            print(f"bare pymongo, same transaction              : {rates['bare']:8.1f} deposits/s")
            if args.json:
                Path(args.json).write_text(json.dumps({
                    "deposits_per_path": total, "rounds": args.rounds, "rates": rates,
                    "rounds_rates": per_round_rates, "api_ratio": rates["api"] / rates["bare"],
                    "view_ratio": rates["view"] / rates["bare"],
                    "mongodb": "MONGO_URL" if os.environ.get("MONGO_URL") else "stand-in",
                }))
        finally:
            client.drop_database(database.name)
            client.close()


if __name__ == "__main__":
    main()
