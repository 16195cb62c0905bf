"""Integration tests: the `failCommand` fail point (error codes, labels, modes, closing and blocking)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import AutoReconnect, ExecutionTimeout, NotPrimaryError, OperationFailure

from .command_recorder import CommandRecorder
from .conftest import ClientFactory, ConfigureFailPoint
from .deadlines import next_change, wait_until

pytestmark = [pytest.mark.timeout(30), pytest.mark.slow]

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


# --- the other fail points drivers' test suites use ------------------------------------------------


@pytest.fixture
def admin_fail_point(mongo_client: MongoClient) -> Iterator[Callable[..., None]]:
    """Configures any named fail point and switches every one it touched off afterwards."""
    touched: set[str] = set()

    def configure(name: str, mode: Any, data: Mapping[str, Any] | None = None) -> None:
        touched.add(name)
        mongo_client.admin.command("configureFailPoint", name, mode=mode, data=dict(data or {}))

    try:
        yield configure
    finally:
        for name in touched:
            mongo_client.admin.command("configureFailPoint", name, mode="off")


def test_retryable_write_applied_before_the_connection_closed_is_not_applied_twice(
    make_client: ClientFactory, mongo_db: Database, admin_fail_point: Callable[..., None]
) -> None:
    recorder = CommandRecorder()
    coll = make_client(event_listeners=[recorder])[mongo_db.name]["items"]
    admin_fail_point("onPrimaryTransactionalWrite", {"times": 1})
    coll.update_one({"_id": 1}, {"$inc": {"n": 1}}, upsert=True)
    assert len(recorder.started_named("update")) == 2
    assert coll.find_one({"_id": 1}) == {"_id": 1, "n": 1}


def test_retryable_write_failing_before_commit_every_time_writes_nothing(
    make_client: ClientFactory, mongo_db: Database, admin_fail_point: Callable[..., None]
) -> None:
    coll = make_client()[mongo_db.name]["items"]
    admin_fail_point("onPrimaryTransactionalWrite", {"times": 2}, {"failBeforeCommitExceptionCode": 1})
    with pytest.raises(AutoReconnect):
        coll.insert_one({"_id": 1})
    assert coll.count_documents({}) == 0


def test_max_time_always_time_out_fails_only_commands_with_max_time_ms(
    bare: Collection, admin_fail_point: Callable[..., None]
) -> None:
    bare.insert_one({"_id": 1})
    admin_fail_point("maxTimeAlwaysTimeOut", "alwaysOn")
    with pytest.raises(ExecutionTimeout):
        bare.find_one({"_id": 1}, max_time_ms=60_000)
    assert bare.find_one({"_id": 1}) == {"_id": 1}


def test_change_stream_resumes_after_a_get_more_fails_once_its_cursor_is_checked_out(
    make_client: ClientFactory, mongo_db: Database, admin_fail_point: Callable[..., None]
) -> None:
    mongo_db.create_collection("items")
    recorder = CommandRecorder()
    coll = make_client(event_listeners=[recorder])[mongo_db.name]["items"]
    with coll.watch(max_await_time_ms=200) as stream:
        admin_fail_point("failGetMoreAfterCursorCheckout", {"times": 1}, {"errorCode": 10107})
        coll.insert_one({"_id": 1})
        assert next_change(stream)["documentKey"] == {"_id": 1}
    failed = [event for event in recorder.failed_events if event.command_name == "getMore"]
    assert failed[0].failure["errorLabels"] == ["ResumableChangeStreamError"]
    assert len(recorder.started_named("aggregate")) == 2
