"""Integration: repeated commands execute once; concurrent deposits all land, in version order."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier
from uuid import uuid4

import pytest

from accounts_write import contract
from accounts_write.application.bus import CommandBus, RetryPolicy
from accounts_write.application.errors import IdempotencyKeyReusedError
from accounts_write.application.results import AccountCommandResult
from accounts_write.bootstrap import build_bus
from accounts_write.domain.commands import DepositFunds, TransferFunds
from tests.integration.write.helpers import MongoDatabase, open_account, outbox_of, stored_account

F = contract.OutboxField
THREADS = 8
DEPOSITS_PER_THREAD = 5


def test_repeated_command_executes_once(bus: CommandBus, write_db: MongoDatabase) -> None:
    account_id = open_account(bus)
    first = bus.handle(DepositFunds(account_id, Decimal("7.00")), "dep-once")
    again = bus.handle(DepositFunds(account_id, Decimal("7.00")), "dep-once")
    assert again.replayed and (again.version, again.event_ids) == (first.version, first.event_ids)
    assert stored_account(write_db, account_id).balance == Decimal("7.00")
    assert len(outbox_of(write_db, account_id)) == 2
    assert write_db[contract.COMMANDS_COLLECTION].count_documents({"_id": "dep-once"}) == 1


def test_repeated_transfer_executes_once(bus: CommandBus, write_db: MongoDatabase) -> None:
    source, target = open_account(bus, "10.00"), open_account(bus)
    first = bus.handle(TransferFunds(source, target, Decimal("4.00")), "t-once")
    again = bus.handle(TransferFunds(source, target, Decimal("4.00")), "t-once")
    assert again == type(first)(**{**vars(first), "replayed": True})
    assert stored_account(write_db, target).balance == Decimal("4.00")


def test_same_key_with_another_payload_is_refused(bus: CommandBus, write_db: MongoDatabase) -> None:
    account_id = open_account(bus)
    bus.handle(DepositFunds(account_id, Decimal("1.00")), "dep-key")
    with pytest.raises(IdempotencyKeyReusedError):
        bus.handle(DepositFunds(account_id, Decimal("2.00")), "dep-key")
    assert stored_account(write_db, account_id).balance == Decimal("1.00")


def test_concurrent_deposits_into_one_account_all_land(bus: CommandBus, write_db: MongoDatabase) -> None:
    account_id = open_account(bus)
    # A generous retry budget: this test is about correctness under contention, not the budget.
    contended = build_bus(database=write_db, retry=RetryPolicy(budget_seconds=60))
    amounts = [Decimal(f"{thread}.{deposit:02d}") + 1 for thread in range(THREADS)
               for deposit in range(DEPOSITS_PER_THREAD)]

    def deposit_all(thread: int) -> None:
        for deposit in range(DEPOSITS_PER_THREAD):
            amount = amounts[thread * DEPOSITS_PER_THREAD + deposit]
            contended.handle(DepositFunds(account_id, amount), f"dep-{uuid4()}")

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(deposit_all, range(THREADS)))

    account = stored_account(write_db, account_id)
    assert account.balance == sum(amounts)
    assert account.version == 1 + len(amounts)
    outbox = outbox_of(write_db, account_id)
    assert [document[F.AGGREGATE_VERSION] for document in outbox] == list(range(1, len(amounts) + 2))
    deposits = [document for document in outbox if document[F.EVENT_TYPE] == "FundsDeposited"]
    assert sorted(document[F.PAYLOAD]["amount"].to_decimal() for document in deposits) == sorted(amounts)
    assert write_db[contract.COMMANDS_COLLECTION].count_documents({}) == 1 + len(amounts)


def test_same_key_sent_concurrently_executes_once(bus: CommandBus, write_db: MongoDatabase) -> None:
    account_id = open_account(bus)
    contended = build_bus(database=write_db, retry=RetryPolicy(budget_seconds=60))
    barrier = Barrier(THREADS)

    def deposit(_: int) -> AccountCommandResult:
        barrier.wait()
        result = contended.handle(DepositFunds(account_id, Decimal("3.00")), "racing-key")
        assert isinstance(result, AccountCommandResult)
        return result

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(deposit, range(THREADS)))

    assert len({(result.version, result.event_ids) for result in results}) == 1
    assert sum(not result.replayed for result in results) == 1
    assert stored_account(write_db, account_id).balance == Decimal("3.00")
    assert len(outbox_of(write_db, account_id)) == 2
