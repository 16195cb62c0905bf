"""Integration tests: retryable writes are executed at most once per (lsid, txnNumber)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bson import Int64
from bson.son import SON
from pymongo import MongoClient
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure

from .command_recorder import CommandRecorder
from .conftest import ClientFactory, ConfigureFailPoint

pytestmark = [pytest.mark.timeout(30), pytest.mark.slow]

TRANSACTION_TOO_OLD = 225


# --- through the driver's automatic retry -------------------------------------------------------


@pytest.fixture
def recorder() -> CommandRecorder:
    return CommandRecorder()


@pytest.fixture
def retrying(make_client: ClientFactory, mongo_db: Database, recorder: CommandRecorder) -> Collection:
    """The test collection through a client with retryable writes (the default) and a recorder."""
    return make_client(retryWrites=True, event_listeners=[recorder])[mongo_db.name]["items"]


def _same_transaction_identity(recorder: CommandRecorder, command_name: str) -> None:
    attempts = recorder.started_named(command_name)
    assert len(attempts) == 2
    assert attempts[0].command["lsid"] == attempts[1].command["lsid"]
    assert attempts[0].command["txnNumber"] == attempts[1].command["txnNumber"]


def test_insert_retried_after_a_closed_connection_exists_once(
    retrying: Collection, recorder: CommandRecorder, fail_point: ConfigureFailPoint
) -> None:
    fail_point({"times": 1}, {"failCommands": ["insert"], "closeConnection": True})
    retrying.insert_one({"_id": 1})
    _same_transaction_identity(recorder, "insert")
    assert retrying.count_documents({}) == 1


def test_increment_retried_after_a_closed_connection_applies_once(
    retrying: Collection, recorder: CommandRecorder, fail_point: ConfigureFailPoint
) -> None:
    retrying.insert_one({"_id": 1, "n": 0})
    fail_point({"times": 1}, {"failCommands": ["update"], "closeConnection": True})
    retrying.update_one({"_id": 1}, {"$inc": {"n": 1}})
    _same_transaction_identity(recorder, "update")
    assert retrying.find_one({"_id": 1}) == {"_id": 1, "n": 1}


def test_insert_many_retried_after_a_closed_connection_stores_each_document_once(
    retrying: Collection, recorder: CommandRecorder, fail_point: ConfigureFailPoint
) -> None:
    fail_point({"times": 1}, {"failCommands": ["insert"], "closeConnection": True})
    retrying.insert_many([{"_id": i} for i in range(5)])
    _same_transaction_identity(recorder, "insert")
    assert sorted(doc["_id"] for doc in retrying.find()) == [0, 1, 2, 3, 4]


def test_find_one_and_update_retried_after_a_closed_connection_applies_once(
    retrying: Collection, recorder: CommandRecorder, fail_point: ConfigureFailPoint
) -> None:
    retrying.insert_one({"_id": 1, "n": 0})
    fail_point({"times": 1}, {"failCommands": ["findAndModify"], "closeConnection": True})
    before = retrying.find_one_and_update({"_id": 1}, {"$inc": {"n": 1}})
    _same_transaction_identity(recorder, "findAndModify")
    assert before == {"_id": 1, "n": 0}
    assert retrying.find_one({"_id": 1}) == {"_id": 1, "n": 1}


def _write_concern_error_after_execution(command_name: str) -> dict[str, Any]:
    # With writeConcernError the server runs the command and then reports the error, so the driver's
    # retry reaches a server that has already applied the write once.
    return {
        "failCommands": [command_name],
        "errorLabels": ["RetryableWriteError"],
        "writeConcernError": {"code": 91, "errmsg": "Replication is being shut down"},
    }


def test_increment_retried_after_an_executed_attempt_is_not_applied_twice(
    retrying: Collection, recorder: CommandRecorder, fail_point: ConfigureFailPoint
) -> None:
    retrying.insert_one({"_id": 1, "n": 0})
    fail_point({"times": 1}, _write_concern_error_after_execution("update"))
    result = retrying.update_one({"_id": 1}, {"$inc": {"n": 1}})
    _same_transaction_identity(recorder, "update")
    assert result.modified_count == 1
    assert retrying.find_one({"_id": 1}) == {"_id": 1, "n": 1}


def test_insert_retried_after_an_executed_attempt_does_not_report_a_duplicate(
    retrying: Collection, recorder: CommandRecorder, fail_point: ConfigureFailPoint
) -> None:
    fail_point({"times": 1}, _write_concern_error_after_execution("insert"))
    retrying.insert_one({"_id": 1})
    _same_transaction_identity(recorder, "insert")
    assert retrying.count_documents({}) == 1


# --- raw commands with an explicit txnNumber ----------------------------------------------------


@pytest.fixture
def raw_client(make_client: ClientFactory) -> MongoClient:
    """A client of its own: the txnNumbers used here must not meet its pooled sessions elsewhere."""
    return make_client(retryWrites=False)


@pytest.fixture
def session(raw_client: MongoClient) -> Iterator[ClientSession]:
    # No causal consistency, so the driver adds nothing but the lsid to the raw commands.
    with raw_client.start_session(causal_consistency=False) as raw_session:
        yield raw_session


def _raw_increment(db: Database, session: ClientSession, txn_number: int) -> dict[str, Any]:
    return db.command(
        SON(
            [
                ("update", "items"),
                ("updates", [{"q": {"_id": 1}, "u": {"$inc": {"n": 1}}}]),
                ("txnNumber", Int64(txn_number)),
            ]
        ),
        session=session,
    )


def _raw_insert(db: Database, session: ClientSession, txn_number: int, doc: dict[str, Any]) -> dict[str, Any]:
    return db.command(
        SON([("insert", "items"), ("documents", [doc]), ("txnNumber", Int64(txn_number))]),
        session=session,
    )


def _counter(mongo_db: Database) -> Any:
    doc = mongo_db["items"].find_one({"_id": 1})
    assert doc is not None
    return doc["n"]


def test_repeated_raw_insert_with_the_same_txn_number_returns_the_original_result(
    raw_client: MongoClient, session: ClientSession, mongo_db: Database
) -> None:
    db = raw_client[mongo_db.name]
    first = _raw_insert(db, session, 1, {"_id": "once"})
    again = _raw_insert(db, session, 1, {"_id": "once"})
    assert first["n"] == 1
    assert again["n"] == 1
    assert "writeErrors" not in again
    assert mongo_db["items"].count_documents({}) == 1


def test_repeated_raw_update_with_the_same_txn_number_is_not_reapplied(
    raw_client: MongoClient, session: ClientSession, mongo_db: Database
) -> None:
    mongo_db["items"].insert_one({"_id": 1, "n": 0})
    db = raw_client[mongo_db.name]
    first = _raw_increment(db, session, 5)
    again = _raw_increment(db, session, 5)
    assert (again["n"], again["nModified"]) == (first["n"], first["nModified"]) == (1, 1)
    assert _counter(mongo_db) == 1


def test_raw_update_with_a_new_txn_number_is_applied(
    raw_client: MongoClient, session: ClientSession, mongo_db: Database
) -> None:
    mongo_db["items"].insert_one({"_id": 1, "n": 0})
    db = raw_client[mongo_db.name]
    _raw_increment(db, session, 5)
    _raw_increment(db, session, 6)
    assert _counter(mongo_db) == 2


def test_same_txn_number_in_another_session_is_a_different_write(
    raw_client: MongoClient, session: ClientSession, mongo_db: Database
) -> None:
    mongo_db["items"].insert_one({"_id": 1, "n": 0})
    db = raw_client[mongo_db.name]
    _raw_increment(db, session, 5)
    with raw_client.start_session(causal_consistency=False) as other_session:
        _raw_increment(db, other_session, 5)
    assert _counter(mongo_db) == 2


def test_raw_write_with_an_older_txn_number_fails_with_transaction_too_old(
    raw_client: MongoClient, session: ClientSession, mongo_db: Database
) -> None:
    mongo_db["items"].insert_one({"_id": 1, "n": 0})
    db = raw_client[mongo_db.name]
    _raw_increment(db, session, 6)
    with pytest.raises(OperationFailure) as failure:
        _raw_increment(db, session, 5)
    assert failure.value.code == TRANSACTION_TOO_OLD
    assert _counter(mongo_db) == 1


def test_repeated_raw_find_and_modify_returns_the_original_document(
    raw_client: MongoClient, session: ClientSession, mongo_db: Database
) -> None:
    mongo_db["items"].insert_one({"_id": 1, "n": 0})
    db = raw_client[mongo_db.name]
    command = SON(
        [
            ("findAndModify", "items"),
            ("query", {"_id": 1}),
            ("update", {"$inc": {"n": 1}}),
            ("new", True),
            ("txnNumber", Int64(9)),
        ]
    )
    first = db.command(command, session=session)
    again = db.command(command, session=session)
    assert first["value"] == {"_id": 1, "n": 1}
    assert again["value"] == {"_id": 1, "n": 1}
    assert _counter(mongo_db) == 1
