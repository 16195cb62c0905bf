"""Integration tests: the `failCommand` fail point (error codes, labels, modes, closing and blocking)."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

import pytest
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import AutoReconnect, NotPrimaryError, OperationFailure

from .command_recorder import CommandRecorder
from .conftest import ClientFactory, ConfigureFailPoint
from .deadlines import wait_until

pytestmark = pytest.mark.timeout(30)

BAD_VALUE = 2
SHUTDOWN_IN_PROGRESS = 91


@pytest.fixture
def bare(make_client: ClientFactory, mongo_db: Database) -> Collection:
    """The test collection seen through a client that retries nothing, so every failure surfaces."""
    return make_client(retryWrites=False, retryReads=False)[mongo_db.name]["items"]


def _insert_fails_with(coll: Collection, doc: dict, code: int) -> None:
    with pytest.raises(OperationFailure) as failure:
        coll.insert_one(doc)
    assert failure.value.code == code


def test_error_code_fails_the_named_command_once(bare: Collection, fail_point: ConfigureFailPoint) -> None:
    fail_point({"times": 1}, {"failCommands": ["insert"], "errorCode": BAD_VALUE})
    _insert_fails_with(bare, {"_id": 1}, BAD_VALUE)
    bare.insert_one({"_id": 2})
    assert [doc["_id"] for doc in bare.find()] == [2]


def test_shutdown_error_code_reaches_the_client_without_retries(
    bare: Collection, fail_point: ConfigureFailPoint
) -> None:
    fail_point({"times": 1}, {"failCommands": ["insert"], "errorCode": SHUTDOWN_IN_PROGRESS})
    with pytest.raises(NotPrimaryError) as failure:
        bare.insert_one({"_id": 1})
    details = failure.value.details
    assert isinstance(details, Mapping)
    assert details["code"] == SHUTDOWN_IN_PROGRESS
    assert bare.count_documents({}) == 0


def test_fail_point_leaves_other_commands_alone(bare: Collection, fail_point: ConfigureFailPoint) -> None:
    bare.insert_one({"_id": 1})
    fail_point("alwaysOn", {"failCommands": ["insert"], "errorCode": BAD_VALUE})
    assert bare.find_one({"_id": 1}) == {"_id": 1}
    assert bare.update_one({"_id": 1}, {"$set": {"a": 1}}).modified_count == 1


def test_error_labels_are_attached_to_the_error(bare: Collection, fail_point: ConfigureFailPoint) -> None:
    fail_point(
        {"times": 1},
        {"failCommands": ["insert"], "errorCode": BAD_VALUE, "errorLabels": ["ContractTestLabel"]},
    )
    with pytest.raises(OperationFailure) as failure:
        bare.insert_one({"_id": 1})
    assert failure.value.has_error_label("ContractTestLabel")


def test_times_mode_fails_exactly_that_many_times(bare: Collection, fail_point: ConfigureFailPoint) -> None:
    fail_point({"times": 2}, {"failCommands": ["insert"], "errorCode": BAD_VALUE})
    _insert_fails_with(bare, {"_id": 1}, BAD_VALUE)
    _insert_fails_with(bare, {"_id": 2}, BAD_VALUE)
    bare.insert_one({"_id": 3})
    assert [doc["_id"] for doc in bare.find()] == [3]


def test_skip_mode_lets_the_first_calls_through_then_fails(
    bare: Collection, fail_point: ConfigureFailPoint
) -> None:
    fail_point({"skip": 1}, {"failCommands": ["insert"], "errorCode": BAD_VALUE})
    bare.insert_one({"_id": 1})
    _insert_fails_with(bare, {"_id": 2}, BAD_VALUE)
    _insert_fails_with(bare, {"_id": 3}, BAD_VALUE)
    assert [doc["_id"] for doc in bare.find()] == [1]


def test_always_on_fails_until_switched_off(
    bare: Collection, fail_point: ConfigureFailPoint, mongo_db: Database
) -> None:
    fail_point("alwaysOn", {"failCommands": ["insert"], "errorCode": BAD_VALUE})
    for i in range(3):
        _insert_fails_with(bare, {"_id": i}, BAD_VALUE)
    fail_point("off")
    bare.insert_one({"_id": "after"})
    assert [doc["_id"] for doc in bare.find()] == ["after"]


def test_close_connection_surfaces_a_network_error(bare: Collection, fail_point: ConfigureFailPoint) -> None:
    bare.insert_one({"_id": 1})
    fail_point({"times": 1}, {"failCommands": ["find"], "closeConnection": True})
    with pytest.raises(AutoReconnect):
        bare.find_one({"_id": 1})
    assert bare.find_one({"_id": 1}) == {"_id": 1}


def test_close_connection_on_a_read_is_retried_by_the_driver(
    make_client: ClientFactory, mongo_db: Database, fail_point: ConfigureFailPoint
) -> None:
    recorder = CommandRecorder()
    coll = make_client(event_listeners=[recorder])[mongo_db.name]["items"]
    coll.insert_one({"_id": 1})
    fail_point({"times": 1}, {"failCommands": ["find"], "closeConnection": True})
    assert coll.find_one({"_id": 1}) == {"_id": 1}
    assert len(recorder.started_named("find")) == 2


def test_block_connection_delays_the_reply(bare: Collection, fail_point: ConfigureFailPoint) -> None:
    bare.insert_one({"_id": 1})
    fail_point({"times": 1}, {"failCommands": ["find"], "blockConnection": True, "blockTimeMS": 600})
    started = time.monotonic()
    assert bare.find_one({"_id": 1}) == {"_id": 1}
    assert time.monotonic() - started >= 0.55


def test_block_connection_applies_only_the_configured_number_of_times(
    bare: Collection, fail_point: ConfigureFailPoint
) -> None:
    bare.insert_one({"_id": 1})
    fail_point({"times": 1}, {"failCommands": ["find"], "blockConnection": True, "blockTimeMS": 600})
    bare.find_one({"_id": 1})
    started = time.monotonic()
    bare.find_one({"_id": 1})
    assert time.monotonic() - started < 0.5


def test_blocked_command_does_not_block_other_connections(
    make_client: ClientFactory, mongo_db: Database, fail_point: ConfigureFailPoint
) -> None:
    recorder = CommandRecorder()
    blocked = make_client(event_listeners=[recorder])[mongo_db.name]["items"]
    other = make_client()[mongo_db.name]["items"]
    other.insert_one({"_id": 1})
    blocked.database.command("ping")
    fail_point({"times": 1}, {"failCommands": ["find"], "blockConnection": True, "blockTimeMS": 2000})
    blocker = threading.Thread(target=lambda: blocked.find_one({"_id": 1}), daemon=True)
    blocker.start()
    wait_until(lambda: bool(recorder.started_named("find")), what="blocked find sent")
    # The started event fires just before the bytes go out; give them a moment to reach the server.
    time.sleep(0.2)
    started = time.monotonic()
    assert other.count_documents({}) == 1
    elapsed = time.monotonic() - started
    assert blocker.is_alive(), "the blocked find should still be waiting"
    blocker.join(timeout=10)
    assert elapsed < 1.0


def test_block_connection_with_an_error_code_fails_after_the_delay(
    bare: Collection, fail_point: ConfigureFailPoint
) -> None:
    fail_point(
        {"times": 1},
        {"failCommands": ["insert"], "blockConnection": True, "blockTimeMS": 400, "errorCode": BAD_VALUE},
    )
    started = time.monotonic()
    _insert_fails_with(bare, {"_id": 1}, BAD_VALUE)
    assert time.monotonic() - started >= 0.35
