"""Integration tests: collection change streams (event shapes, transactions, resuming, pipelines)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest
from bson import Timestamp
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure

from .command_recorder import CommandRecorder
from .conftest import ClientFactory, ConfigureFailPoint
from .deadlines import ChangeEvent, assert_no_change, collect_changes, next_change, wait_until

pytestmark = pytest.mark.timeout(30)

AWAIT_MS = 200


def _doc_ids(changes: list[ChangeEvent]) -> list[Any]:
    return [change["documentKey"]["_id"] for change in changes]


def _first_change_after(coll: Collection, **watch_options: Any) -> ChangeEvent:
    with coll.watch(max_await_time_ms=AWAIT_MS, **watch_options) as stream:
        return next_change(stream)


# --- event shapes -------------------------------------------------------------------------------


def test_insert_event_carries_the_documented_fields(coll: Collection, mongo_db: Database) -> None:
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        coll.insert_one({"_id": 1, "a": "x"})
        change = next_change(stream)
    assert isinstance(change["_id"], Mapping)
    assert change["operationType"] == "insert"
    assert isinstance(change["clusterTime"], Timestamp)
    assert isinstance(change["wallTime"], dt.datetime)
    assert change["ns"] == {"db": mongo_db.name, "coll": coll.name}
    assert change["documentKey"] == {"_id": 1}
    assert change["fullDocument"] == {"_id": 1, "a": "x"}


def test_update_event_describes_updated_and_removed_fields(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 1, "b": 1, "c": {"d": 1}})
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        coll.update_one({"_id": 1}, {"$set": {"b": 2, "c.d": 3}, "$unset": {"a": ""}})
        change = next_change(stream)
    assert change["operationType"] == "update"
    assert change["documentKey"] == {"_id": 1}
    assert change["updateDescription"]["updatedFields"] == {"b": 2, "c.d": 3}
    assert change["updateDescription"]["removedFields"] == ["a"]
    assert "fullDocument" not in change


def test_update_event_with_update_lookup_carries_the_current_document(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 1, "b": 1})
    with coll.watch(max_await_time_ms=AWAIT_MS, full_document="updateLookup") as stream:
        coll.update_one({"_id": 1}, {"$inc": {"a": 1}})
        change = next_change(stream)
    assert change["operationType"] == "update"
    assert change["fullDocument"] == {"_id": 1, "a": 2, "b": 1}


def test_update_lookup_of_a_since_deleted_document_gives_a_null_full_document(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 1})
    with coll.watch(max_await_time_ms=AWAIT_MS, full_document="updateLookup") as stream:
        coll.update_one({"_id": 1}, {"$inc": {"a": 1}})
        coll.delete_one({"_id": 1})
        update, delete = collect_changes(stream, 2)
    assert update["operationType"] == "update"
    assert update["fullDocument"] is None
    assert delete["operationType"] == "delete"


def test_upsert_that_inserts_yields_an_insert_event(coll: Collection) -> None:
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        coll.update_one({"_id": "new"}, {"$set": {"a": 1}}, upsert=True)
        change = next_change(stream)
    assert change["operationType"] == "insert"
    assert change["fullDocument"] == {"_id": "new", "a": 1}


def test_replace_event_carries_the_new_document(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 1})
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        coll.replace_one({"_id": 1}, {"z": 9})
        change = next_change(stream)
    assert change["operationType"] == "replace"
    assert change["documentKey"] == {"_id": 1}
    assert change["fullDocument"] == {"_id": 1, "z": 9}


def test_delete_event_carries_the_document_key_only(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 1})
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        coll.delete_one({"_id": 1})
        change = next_change(stream)
    assert change["operationType"] == "delete"
    assert change["documentKey"] == {"_id": 1}
    assert "fullDocument" not in change


def test_events_arrive_in_write_order_with_increasing_cluster_times(coll: Collection) -> None:
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        for i in range(20):
            coll.insert_one({"_id": i})
        changes = collect_changes(stream, 20)
    assert _doc_ids(changes) == list(range(20))
    times = [change["clusterTime"] for change in changes]
    assert times == sorted(times)
    assert len(set(times)) == 20


def test_writes_to_another_collection_are_not_delivered(coll: Collection, mongo_db: Database) -> None:
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        mongo_db["elsewhere"].insert_one({"_id": "other"})
        coll.insert_one({"_id": "mine"})
        change = next_change(stream)
    assert change["documentKey"] == {"_id": "mine"}


def test_drop_yields_a_drop_then_an_invalidate_event_and_closes_the_stream(
    coll: Collection, mongo_db: Database
) -> None:
    coll.insert_one({"_id": 0})
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        coll.drop()
        changes = collect_changes(stream, 2)
        assert [change["operationType"] for change in changes] == ["drop", "invalidate"]
        assert changes[0]["ns"] == {"db": mongo_db.name, "coll": coll.name}
        assert not stream.alive


# --- transactions -------------------------------------------------------------------------------


@pytest.mark.slow
def test_transaction_events_appear_only_after_commit(mongo_client: MongoClient, coll: Collection) -> None:
    coll.insert_one({"_id": "existing", "n": 0})
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream, mongo_client.start_session() as session:
        session.start_transaction()
        coll.insert_one({"_id": "a"}, session=session)
        coll.update_one({"_id": "existing"}, {"$inc": {"n": 1}}, session=session)
        assert_no_change(stream, window_s=1.0)
        session.commit_transaction()
        changes = collect_changes(stream, 2)
    assert [(c["operationType"], c["documentKey"]["_id"]) for c in changes] == [
        ("insert", "a"),
        ("update", "existing"),
    ]


def test_transaction_events_share_the_commit_cluster_time_and_carry_the_session(
    mongo_client: MongoClient, coll: Collection
) -> None:
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream, mongo_client.start_session() as session:
        with session.start_transaction():
            coll.insert_many([{"_id": 1}, {"_id": 2}, {"_id": 3}], session=session)
        changes = collect_changes(stream, 3)
    assert _doc_ids(changes) == [1, 2, 3]
    assert len({change["clusterTime"] for change in changes}) == 1
    assert all("lsid" in change and "txnNumber" in change for change in changes)


def test_aborted_transaction_yields_no_events(mongo_client: MongoClient, coll: Collection) -> None:
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream, mongo_client.start_session() as session:
        session.start_transaction()
        coll.insert_one({"_id": "aborted"}, session=session)
        session.abort_transaction()
        coll.insert_one({"_id": "after"})
        change = next_change(stream)
    assert change["documentKey"] == {"_id": "after"}


def test_transactions_are_delivered_in_commit_order(mongo_client: MongoClient, coll: Collection) -> None:
    # Created up front: two open transactions both creating it implicitly would conflict (as in mongod).
    coll.database.create_collection(coll.name)
    with (
        coll.watch(max_await_time_ms=AWAIT_MS) as stream,
        mongo_client.start_session() as first,
        mongo_client.start_session() as second,
    ):
        first.start_transaction()
        second.start_transaction()
        coll.insert_one({"_id": "first-started"}, session=first)
        coll.insert_one({"_id": "second-started"}, session=second)
        second.commit_transaction()
        first.commit_transaction()
        changes = collect_changes(stream, 2)
    assert _doc_ids(changes) == ["second-started", "first-started"]


# --- resuming -----------------------------------------------------------------------------------


def _three_inserts_and_the_first_event(coll: Collection) -> ChangeEvent:
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        coll.insert_one({"_id": 1})
        coll.insert_one({"_id": 2})
        coll.insert_one({"_id": 3})
        return next_change(stream)


def test_resume_after_a_token_delivers_the_events_after_it(coll: Collection) -> None:
    first = _three_inserts_and_the_first_event(coll)
    with coll.watch(max_await_time_ms=AWAIT_MS, resume_after=first["_id"]) as stream:
        assert _doc_ids(collect_changes(stream, 2)) == [2, 3]


def test_start_after_a_token_delivers_the_events_after_it(coll: Collection) -> None:
    first = _three_inserts_and_the_first_event(coll)
    with coll.watch(max_await_time_ms=AWAIT_MS, start_after=first["_id"]) as stream:
        assert _doc_ids(collect_changes(stream, 2)) == [2, 3]


def test_start_at_operation_time_includes_the_event_at_that_time(coll: Collection) -> None:
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        for i in range(1, 4):
            coll.insert_one({"_id": i})
        second = collect_changes(stream, 2)[1]
    with coll.watch(max_await_time_ms=AWAIT_MS, start_at_operation_time=second["clusterTime"]) as stream:
        assert _doc_ids(collect_changes(stream, 2)) == [2, 3]


def test_resuming_returns_already_available_events_on_the_first_try_next(coll: Collection) -> None:
    first = _three_inserts_and_the_first_event(coll)
    with coll.watch(max_await_time_ms=1000, resume_after=first["_id"]) as stream:
        change = stream.try_next()
    assert change is not None
    assert change["documentKey"] == {"_id": 2}


def test_resume_token_advances_without_matching_events(coll: Collection, mongo_db: Database) -> None:
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        initial = stream.resume_token
        mongo_db["elsewhere"].insert_one({"_id": 1})

        def advanced() -> bool:
            assert stream.try_next() is None
            return stream.resume_token is not None and stream.resume_token != initial

        wait_until(advanced, what="resume token advance")


def test_resuming_from_an_advanced_token_skips_nothing_later(coll: Collection, mongo_db: Database) -> None:
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        mongo_db["elsewhere"].insert_one({"_id": 1})
        initial = stream.resume_token
        wait_until(lambda: stream.try_next() is None and stream.resume_token != initial, what="token advance")
        token = stream.resume_token
    coll.insert_one({"_id": "later"})
    assert _first_change_after(coll, resume_after=token)["documentKey"] == {"_id": "later"}


def _open_and_poll(coll: Collection, **watch_options: Any) -> ChangeEvent | None:
    with coll.watch(max_await_time_ms=AWAIT_MS, **watch_options) as stream:
        return stream.try_next()


def _invalidate_token(coll: Collection) -> Mapping[str, Any]:
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        coll.insert_one({"_id": 0})
        coll.drop()
        changes = collect_changes(stream, 3)
    assert changes[-1]["operationType"] == "invalidate"
    return changes[-1]["_id"]


def test_resume_after_an_invalidate_event_fails(coll: Collection) -> None:
    token = _invalidate_token(coll)
    with pytest.raises(OperationFailure):
        _open_and_poll(coll, resume_after=token)


def test_start_after_an_invalidate_event_follows_the_recreated_collection(coll: Collection) -> None:
    token = _invalidate_token(coll)
    with coll.watch(max_await_time_ms=AWAIT_MS, start_after=token) as stream:
        coll.insert_one({"_id": "reborn"})
        change = next_change(stream)
    assert change["operationType"] == "insert"
    assert change["documentKey"] == {"_id": "reborn"}


# --- user pipelines -----------------------------------------------------------------------------


def test_match_stage_filters_events(coll: Collection) -> None:
    with coll.watch([{"$match": {"fullDocument.keep": True}}], max_await_time_ms=AWAIT_MS) as stream:
        coll.insert_many(
            [
                {"_id": 1, "keep": False},
                {"_id": 2, "keep": True},
                {"_id": 3, "keep": False},
                {"_id": 4, "keep": True},
            ]
        )
        assert _doc_ids(collect_changes(stream, 2)) == [2, 4]


def test_match_stage_can_select_operation_types(coll: Collection) -> None:
    with coll.watch([{"$match": {"operationType": "delete"}}], max_await_time_ms=AWAIT_MS) as stream:
        coll.insert_one({"_id": 1})
        coll.update_one({"_id": 1}, {"$set": {"a": 1}})
        coll.delete_one({"_id": 1})
        change = next_change(stream)
    assert change["operationType"] == "delete"


def test_project_stage_shapes_events(coll: Collection) -> None:
    pipeline = [{"$project": {"operationType": 1, "fullDocument.v": 1}}]
    with coll.watch(pipeline, max_await_time_ms=AWAIT_MS) as stream:
        coll.insert_one({"_id": 1, "v": "kept", "w": "dropped"})
        change = next_change(stream)
    assert set(change) == {"_id", "operationType", "fullDocument"}
    assert change["fullDocument"] == {"v": "kept"}


def _insert_and_read_one(coll: Collection, pipeline: list[dict[str, Any]]) -> ChangeEvent:
    with coll.watch(pipeline, max_await_time_ms=AWAIT_MS) as stream:
        coll.insert_one({"_id": 1})
        return next_change(stream)


def test_project_stage_removing_the_resume_token_fails(coll: Collection) -> None:
    with pytest.raises(OperationFailure):
        _insert_and_read_one(coll, [{"$project": {"_id": 0}}])


# --- waiting and failures -----------------------------------------------------------------------


def _start_waiting_try_next(stream: Any, recorder: CommandRecorder) -> tuple[threading.Thread, list[Any]]:
    """Starts `try_next` in a thread and returns once its getMore is on the wire."""
    result: list[Any] = []
    waiter = threading.Thread(target=lambda: result.append(stream.try_next()), daemon=True)
    waiter.start()
    wait_until(lambda: bool(recorder.started_named("getMore")), what="getMore sent")
    return waiter, result


@pytest.mark.slow
def test_waiting_get_more_does_not_block_other_clients(
    make_client: ClientFactory, coll: Collection, mongo_db: Database
) -> None:
    recorder = CommandRecorder()
    watcher = make_client(event_listeners=[recorder])
    other = make_client()[mongo_db.name]["elsewhere"]
    other.database.command("ping")
    with watcher[mongo_db.name][coll.name].watch(max_await_time_ms=3000) as stream:
        waiter, _ = _start_waiting_try_next(stream, recorder)
        started = time.monotonic()
        other.insert_one({"_id": 1})
        elapsed = time.monotonic() - started
        assert waiter.is_alive(), "the getMore should still be waiting"
        waiter.join(timeout=10)
    assert elapsed < 1.0


def test_waiting_get_more_returns_as_soon_as_an_event_arrives(
    make_client: ClientFactory, coll: Collection, mongo_db: Database
) -> None:
    recorder = CommandRecorder()
    watcher = make_client(event_listeners=[recorder])
    with watcher[mongo_db.name][coll.name].watch(max_await_time_ms=8000) as stream:
        waiter, result = _start_waiting_try_next(stream, recorder)
        started = time.monotonic()
        coll.insert_one({"_id": "wake"})
        waiter.join(timeout=10)
        elapsed = time.monotonic() - started
    assert result and result[0] is not None
    assert result[0]["documentKey"] == {"_id": "wake"}
    assert elapsed < 4.0


@pytest.mark.slow
def test_stream_resumes_after_a_network_error_delivering_each_event_once(
    make_client: ClientFactory, coll: Collection, mongo_db: Database, fail_point: ConfigureFailPoint
) -> None:
    recorder = CommandRecorder()
    watcher = make_client(event_listeners=[recorder])
    with watcher[mongo_db.name][coll.name].watch(max_await_time_ms=AWAIT_MS) as stream:
        coll.insert_one({"_id": 1})
        assert next_change(stream)["documentKey"] == {"_id": 1}
        fail_point({"times": 1}, {"failCommands": ["getMore"], "closeConnection": True})
        coll.insert_one({"_id": 2})
        coll.insert_one({"_id": 3})
        assert _doc_ids(collect_changes(stream, 2)) == [2, 3]
        coll.insert_one({"_id": 4})
        assert _doc_ids([next_change(stream)]) == [4]
    assert len(recorder.started_named("aggregate")) == 2
