"""Integration tests: answers the stand-in once got quietly wrong; each is what mongod answers.

Every test here also runs against a real replica set (MONGO_URL), so it pins mongod's documented
behaviour, not the stand-in's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError

from .command_recorder import CommandRecorder
from .conftest import ClientFactory
from .deadlines import next_change

pytestmark = pytest.mark.timeout(60)

FAILED_TO_PARSE = 9
MAX_USER_DOCUMENT = 16 * 1024 * 1024


def test_projection_of_id_alone_returns_only_the_id(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 1, "b": {"c": 2}})
    assert coll.find_one({}, {"_id": 1}) == {"_id": 1}
    assert coll.find_one({}, {"_id": 0}) == {"a": 1, "b": {"c": 2}}


def test_unknown_update_modifier_fails_even_when_nothing_matches(coll: Collection) -> None:
    with pytest.raises(OperationFailure) as failure:
        coll.update_one({"_id": "absent"}, {"$frobnicate": {"a": 1}})
    assert failure.value.code == FAILED_TO_PARSE


def test_unknown_modifier_in_find_one_and_update_fails_even_when_nothing_matches(coll: Collection) -> None:
    with pytest.raises(OperationFailure) as failure:
        coll.find_one_and_update({"_id": "absent"}, {"$frobnicate": {"a": 1}})
    assert failure.value.code == FAILED_TO_PARSE


def test_document_over_16_mib_is_refused_on_insert(mongo_db: Database) -> None:
    # Sent as a raw command: pymongo's insert_one would refuse it before it reaches the server.
    big = {"_id": 1, "blob": "x" * (MAX_USER_DOCUMENT - 10)}
    reply = mongo_db.command("insert", "items", documents=[big])
    assert reply["n"] == 0
    assert [error["index"] for error in reply["writeErrors"]] == [0]
    assert mongo_db["items"].count_documents({}) == 0


def test_update_growing_a_document_past_16_mib_is_refused(coll: Collection) -> None:
    half = "x" * (MAX_USER_DOCUMENT // 2)
    coll.insert_one({"_id": 1, "a": half})
    with pytest.raises(OperationFailure):
        coll.update_one({"_id": 1}, {"$set": {"b": half}})
    assert set(coll.find_one({"_id": 1}) or {}) == {"_id", "a"}


def test_upsert_with_a_null_id_reports_the_upsert(coll: Collection) -> None:
    result = coll.update_one({"_id": None}, {"$set": {"a": 1}}, upsert=True)
    raw = result.raw_result
    assert raw is not None
    assert (raw["updatedExisting"], raw["upserted"]) == (False, None)
    assert coll.find_one({"_id": None}) == {"_id": None, "a": 1}


def test_cursor_whose_batch_ends_exactly_at_the_last_result_needs_one_more_get_more(
    make_client: ClientFactory, mongo_db: Database
) -> None:
    mongo_db["items"].insert_many([{"_id": i} for i in range(4)])
    recorder = CommandRecorder()
    coll = make_client(event_listeners=[recorder])[mongo_db.name]["items"]
    assert [doc["_id"] for doc in coll.find().sort("_id").batch_size(2)] == [0, 1, 2, 3]
    replies = [event.reply["cursor"] for event in recorder.succeeded_events if "cursor" in event.reply]
    assert [len(r.get("firstBatch", r.get("nextBatch"))) for r in replies] == [2, 2, 0]
    assert [r["id"] != 0 for r in replies] == [True, True, False]


def test_cursor_closes_with_the_batch_that_reaches_the_limit(
    make_client: ClientFactory, mongo_db: Database
) -> None:
    mongo_db["items"].insert_many([{"_id": i} for i in range(6)])
    recorder = CommandRecorder()
    coll = make_client(event_listeners=[recorder])[mongo_db.name]["items"]
    assert len(list(coll.find().sort("_id").limit(4).batch_size(2))) == 4
    assert len(recorder.started_named("getMore")) == 1


def test_partial_index_answers_a_filter_that_implies_its_expression(coll: Collection) -> None:
    coll.create_index("email", unique=True, partialFilterExpression={"active": True})
    coll.insert_many([{"_id": i, "email": f"{i}@x", "active": i % 2 == 0} for i in range(20)])
    plan = coll.find({"email": "4@x", "active": True}).explain()["queryPlanner"]["winningPlan"]
    assert "IXSCAN" in str(plan)
    assert "email_1" in str(plan)
    assert list(coll.find({"email": "4@x", "active": True}, {"_id": 1})) == [{"_id": 4}]


def test_partial_index_is_not_used_for_a_filter_outside_its_expression(coll: Collection) -> None:
    coll.create_index("email", partialFilterExpression={"active": True})
    coll.insert_many([{"_id": i, "email": "same", "active": i % 2 == 0} for i in range(6)])
    plan = coll.find({"email": "same"}).explain()["queryPlanner"]["winningPlan"]
    assert "COLLSCAN" in str(plan)
    assert sorted(doc["_id"] for doc in coll.find({"email": "same"})) == list(range(6))


def test_explain_refuses_a_hint_to_a_missing_index(coll: Collection) -> None:
    coll.insert_one({"a": 1})
    with pytest.raises(OperationFailure):
        coll.find({"a": 1}).hint("no_such_index_1").explain()


def test_explain_reports_the_hinted_index(coll: Collection) -> None:
    coll.create_index("a")
    coll.create_index("b")
    coll.insert_many([{"a": i, "b": i} for i in range(5)])
    plan = coll.find({"a": 1}).hint("b_1").explain()["queryPlanner"]["winningPlan"]
    assert "b_1" in str(plan)


def test_list_indexes_reports_the_options_an_index_was_created_with(coll: Collection) -> None:
    coll.create_index(
        [("a", 1), ("b", -1)],
        name="ab",
        unique=True,
        sparse=True,
        hidden=True,
    )
    coll.create_index("c", partialFilterExpression={"c": {"$gt": 5}})
    by_name = {index["name"]: index for index in coll.list_indexes()}
    assert by_name["ab"]["key"] == {"a": 1, "b": -1}
    assert (by_name["ab"]["unique"], by_name["ab"]["sparse"], by_name["ab"]["hidden"]) == (True, True, True)
    assert by_name["c_1"]["partialFilterExpression"] == {"c": {"$gt": 5}}


def test_hidden_index_cannot_be_hinted(coll: Collection) -> None:
    coll.create_index("a", hidden=True)
    coll.insert_one({"a": 1})
    with pytest.raises(OperationFailure):
        coll.find_one({"a": 1}, hint="a_1")


def _details(failure: pytest.ExceptionInfo[OperationFailure]) -> Mapping[str, Any]:
    details = failure.value.details
    assert isinstance(details, Mapping)
    return details


def test_change_stream_refuses_an_explicit_local_read_concern(coll: Collection) -> None:
    coll.database.create_collection(coll.name)
    with pytest.raises(OperationFailure) as failure:
        coll.database.command(
            "aggregate",
            coll.name,
            pipeline=[{"$changeStream": {}}],
            cursor={},
            readConcern={"level": "local"},
        )
    assert _details(failure)["codeName"] == "InvalidOptions"


# --- error labels and code names ------------------------------------------------------------------


@pytest.fixture
def txn_coll(mongo_db: Database) -> Collection:
    mongo_db.create_collection("accounts")
    return mongo_db["accounts"]


def test_no_such_transaction_on_commit_is_transient_so_with_transaction_retries(
    mongo_client: MongoClient, txn_coll: Collection, fail_point: Any
) -> None:
    fail_point({"times": 1}, {"failCommands": ["commitTransaction"], "errorCode": 251})
    attempts = []

    def deposit(session: Any) -> None:
        attempts.append(1)
        txn_coll.insert_one({"_id": len(attempts)}, session=session)

    with mongo_client.start_session() as session:
        session.with_transaction(deposit)
    assert len(attempts) == 2
    assert [doc["_id"] for doc in txn_coll.find()] == [2]


@pytest.mark.slow
def test_write_concern_error_inside_a_transaction_is_not_a_transient_transaction_error(
    mongo_client: MongoClient, txn_coll: Collection, fail_point: Any
) -> None:
    wce = {"code": 91, "codeName": "ShutdownInProgress", "errmsg": "shutting down"}
    fail_point({"times": 1}, {"failCommands": ["insert"], "writeConcernError": wce})
    with mongo_client.start_session() as session:
        session.start_transaction()
        with pytest.raises(OperationFailure) as failure:
            txn_coll.insert_one({"_id": 1}, session=session)
        session.abort_transaction()
    assert not failure.value.has_error_label("TransientTransactionError")


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (24, "LockTimeout"),
        (91, "ShutdownInProgress"),
        (136, "CappedPositionLost"),
        (267, "PreparedTransactionInProgress"),
        (10107, "NotWritablePrimary"),
    ],
)
def test_injected_error_codes_carry_mongods_code_names(
    make_client: ClientFactory, mongo_db: Database, fail_point: Any, code: int, name: str
) -> None:
    bare = make_client(retryWrites=False)[mongo_db.name]["items"]
    fail_point({"times": 1}, {"failCommands": ["insert"], "errorCode": code})
    with pytest.raises(PyMongoError) as failure:
        bare.insert_one({"_id": 1})
    details = getattr(failure.value, "details", None)
    assert isinstance(details, Mapping)
    assert (details["code"], details["codeName"]) == (code, name)


@pytest.mark.slow
def test_retryable_write_failing_with_a_retriable_code_is_labelled_retryable(
    make_client: ClientFactory, mongo_db: Database, fail_point: Any
) -> None:
    recorder = CommandRecorder()
    coll = make_client(event_listeners=[recorder])[mongo_db.name]["items"]
    fail_point({"times": 1}, {"failCommands": ["insert"], "errorCode": 189})
    coll.insert_one({"_id": 1})
    assert recorder.failed_events[0].failure["errorLabels"] == ["RetryableWriteError"]
    assert coll.count_documents({}) == 1


def test_change_stream_error_280_is_labelled_non_resumable(coll: Collection) -> None:
    coll.database.create_collection(coll.name)
    with coll.watch([{"$project": {"_id": 0}}], max_await_time_ms=200) as stream:
        coll.insert_one({"_id": 1})
        with pytest.raises(OperationFailure) as failure:
            next_change(stream)
    assert failure.value.code == 280
    assert failure.value.has_error_label("NonResumableChangeStreamError")
