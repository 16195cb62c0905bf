"""Integration: a command's writes are all-or-nothing, even when MongoDB fails one of them."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from pymongo import MongoClient

from accounts_write import contract
from accounts_write.application.bus import CommandBus
from accounts_write.application.errors import WriteStoreError
from accounts_write.domain.commands import DepositFunds, TransferFunds, WithdrawFunds
from accounts_write.domain.errors import InsufficientFundsError
from tests.integration.write.helpers import (
    BAD_VALUE,
    MongoDatabase,
    fail_point,
    open_account,
    outbox_of,
    stored_account,
)

WRITE_CONFLICT = 112


def test_failed_outbox_insert_leaves_the_account_untouched(
    bus: CommandBus, failpoint_bus: CommandBus, failpoint_client: MongoClient[dict[str, Any]],
    write_db: MongoDatabase,
) -> None:
    account_id = open_account(bus, "10.00")
    with fail_point(failpoint_client, {"times": 1}, {"failCommands": ["insert"], "errorCode": BAD_VALUE}), \
            pytest.raises(WriteStoreError):
        failpoint_bus.handle(DepositFunds(account_id, Decimal("5.00")), "dep-failing")
    account = stored_account(write_db, account_id)
    assert (account.balance, account.version) == (Decimal("10.00"), 2)
    assert len(outbox_of(write_db, account_id)) == 2
    assert write_db[contract.COMMANDS_COLLECTION].find_one({"_id": "dep-failing"}) is None


def test_transient_failure_is_retried_and_executes_once(
    bus: CommandBus, failpoint_bus: CommandBus, failpoint_client: MongoClient[dict[str, Any]],
    write_db: MongoDatabase,
) -> None:
    account_id = open_account(bus)
    data = {
        "failCommands": ["insert"], "errorCode": WRITE_CONFLICT,
        "errorLabels": ["TransientTransactionError"],
    }
    with fail_point(failpoint_client, {"times": 1}, data):
        result = failpoint_bus.handle(DepositFunds(account_id, Decimal("5.00")), "dep-transient")
    assert result.version == 2
    assert stored_account(write_db, account_id).balance == Decimal("5.00")
    outbox = outbox_of(write_db, account_id)
    assert [document[contract.OutboxField.AGGREGATE_VERSION] for document in outbox] == [1, 2]


def test_transfer_failing_half_way_changes_neither_account(
    bus: CommandBus, failpoint_bus: CommandBus, failpoint_client: MongoClient[dict[str, Any]],
    write_db: MongoDatabase,
) -> None:
    source, target = open_account(bus, "50.00"), open_account(bus, "5.00")
    # The source's update succeeds; the target's (the second update) fails.
    with fail_point(failpoint_client, {"skip": 1}, {"failCommands": ["update"], "errorCode": BAD_VALUE}), \
            pytest.raises(WriteStoreError):
        failpoint_bus.handle(TransferFunds(source, target, Decimal("20.00")), "transfer-half")
    assert stored_account(write_db, source).balance == Decimal("50.00")
    assert stored_account(write_db, target).balance == Decimal("5.00")
    assert [len(outbox_of(write_db, account)) for account in (source, target)] == [2, 2]


@pytest.mark.slow
def test_slow_abort_does_not_hold_a_refused_command(
    bus: CommandBus, failpoint_bus: CommandBus, failpoint_client: MongoClient[dict[str, Any]],
    write_db: MongoDatabase,
) -> None:
    account_id = open_account(bus, "1.00")
    data = {"failCommands": ["abortTransaction"], "blockConnection": True, "blockTimeMS": 3000}
    with fail_point(failpoint_client, "alwaysOn", data):
        started = time.monotonic()
        with pytest.raises(InsufficientFundsError):
            failpoint_bus.handle(WithdrawFunds(account_id, Decimal("2.00")), "withdraw-refused")
        elapsed = time.monotonic() - started
    assert elapsed < 1.5, f"rollback took {elapsed:.1f}s"
    assert stored_account(write_db, account_id).version == 2
