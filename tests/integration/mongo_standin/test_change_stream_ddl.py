"""Integration tests: change streams on renames, DDL (showExpandedEvents) and pre-/post-images."""

from __future__ import annotations

import pytest
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure

from .deadlines import collect_changes, next_change

pytestmark = pytest.mark.timeout(60)

AWAIT_MS = 200


@pytest.fixture
def created(mongo_db: Database) -> Collection:
    mongo_db.create_collection("items")
    return mongo_db["items"]


def test_rename_is_reported_and_then_invalidates_a_collection_stream(created: Collection) -> None:
    with created.watch(max_await_time_ms=AWAIT_MS) as stream:
        created.rename("renamed")
        rename, invalidate = collect_changes(stream, 2)
    db = created.database.name
    assert rename["operationType"] == "rename"
    assert rename["ns"] == {"db": db, "coll": "items"}
    assert rename["to"] == {"db": db, "coll": "renamed"}
    assert invalidate["operationType"] == "invalidate"
    assert created.database.list_collection_names() == ["renamed"]


def test_rename_onto_an_existing_collection_needs_drop_target(created: Collection) -> None:
    created.insert_one({"_id": 1})
    created.database["other"].insert_one({"_id": 2})
    with pytest.raises(OperationFailure) as failure:
        created.rename("other")
    assert failure.value.code == 48
    created.rename("other", dropTarget=True)
    assert list(created.database["other"].find()) == [{"_id": 1}]


def test_renamed_collection_keeps_its_documents_and_indexes(created: Collection) -> None:
    created.create_index("email", unique=True)
    created.insert_one({"_id": 1, "email": "a@x"})
    created.rename("renamed")
    renamed = created.database["renamed"]
    assert renamed.find_one() == {"_id": 1, "email": "a@x"}
    assert renamed.index_information()["email_1"]["unique"] is True


def test_expanded_events_report_index_changes_and_modify(created: Collection) -> None:
    with created.watch(max_await_time_ms=AWAIT_MS, show_expanded_events=True) as stream:
        created.create_index("x", name="x_1")
        created.database.command("collMod", created.name, index={"name": "x_1", "hidden": True})
        created.drop_index("x_1")
        kinds = [change["operationType"] for change in collect_changes(stream, 3)]
    assert kinds == ["createIndexes", "modify", "dropIndexes"]


def test_expanded_events_report_creating_a_collection(mongo_db: Database) -> None:
    with mongo_db.watch(max_await_time_ms=AWAIT_MS, show_expanded_events=True) as stream:
        mongo_db.create_collection("fresh")
        change = next_change(stream)
    assert change["operationType"] == "create"
    assert change["ns"] == {"db": mongo_db.name, "coll": "fresh"}


def test_ddl_events_are_hidden_from_streams_without_expanded_events(created: Collection) -> None:
    with created.watch(max_await_time_ms=AWAIT_MS) as stream:
        created.create_index("x")
        created.insert_one({"_id": 1})
        change = next_change(stream)
    assert change["operationType"] == "insert"
    assert "collectionUUID" not in change


def test_pre_and_post_images_once_enabled(created: Collection) -> None:
    created.insert_one({"_id": 1, "n": 1})
    created.database.command("collMod", created.name, changeStreamPreAndPostImages={"enabled": True})
    with created.watch(
        max_await_time_ms=AWAIT_MS, full_document="required", full_document_before_change="required"
    ) as stream:
        created.update_one({"_id": 1}, {"$inc": {"n": 1}})
        change = next_change(stream)
    assert change["fullDocumentBeforeChange"] == {"_id": 1, "n": 1}
    assert change["fullDocument"] == {"_id": 1, "n": 2}


def test_required_pre_image_without_images_enabled_fails(created: Collection) -> None:
    created.insert_one({"_id": 1, "n": 1})
    with created.watch(max_await_time_ms=AWAIT_MS, full_document_before_change="required") as stream:
        created.update_one({"_id": 1}, {"$inc": {"n": 1}})
        with pytest.raises(OperationFailure):
            next_change(stream)


def test_when_available_images_are_null_without_images_enabled(created: Collection) -> None:
    created.insert_one({"_id": 1, "n": 1})
    with created.watch(
        max_await_time_ms=AWAIT_MS, full_document="whenAvailable", full_document_before_change="whenAvailable"
    ) as stream:
        created.update_one({"_id": 1}, {"$inc": {"n": 1}})
        change = next_change(stream)
    assert change["fullDocument"] is None
    assert change["fullDocumentBeforeChange"] is None


def test_index_created_inside_a_transaction_on_a_new_collection(
    mongo_client: MongoClient, mongo_db: Database
) -> None:
    with mongo_client.start_session() as session, session.start_transaction():
        mongo_db["fresh"].create_index("email", unique=True, session=session)
        mongo_db["fresh"].insert_one({"_id": 1, "email": "a@x"}, session=session)
    assert mongo_db["fresh"].index_information()["email_1"]["unique"] is True


def test_index_on_an_existing_collection_is_refused_inside_a_transaction(
    mongo_client: MongoClient, created: Collection
) -> None:
    with mongo_client.start_session() as session:
        session.start_transaction()
        with pytest.raises(OperationFailure) as failure:
            created.create_index("email", session=session)
        assert failure.value.code == 263
        session.abort_transaction()


def test_update_inside_an_array_is_described_by_element_with_disambiguated_paths(created: Collection) -> None:
    created.insert_one({"_id": 1, "a": [{"1": 1}], "b": {"2": 1}})
    with created.watch(max_await_time_ms=AWAIT_MS, show_expanded_events=True) as stream:
        created.update_one({"_id": 1}, {"$set": {"a.0.1": 2, "b.2": 2}})
        description = next_change(stream)["updateDescription"]
    assert description["updatedFields"] == {"a.0.1": 2, "b.2": 2}
    assert description["disambiguatedPaths"] == {"a.0.1": ["a", 0, "1"], "b.2": ["b", "2"]}


def test_pipeline_update_runs_its_stages_and_reports_a_truncated_array(created: Collection) -> None:
    created.insert_one({"_id": 1, "a": 1, "array": ["foo", {"a": "bar"}, 1, 2, 3]})
    with created.watch(max_await_time_ms=AWAIT_MS) as stream:
        created.update_one({"_id": 1}, [{"$set": {"array": ["foo", {"a": "bar"}], "b": "$a"}}])
        description = next_change(stream)["updateDescription"]
    assert created.find_one({"_id": 1}) == {"_id": 1, "a": 1, "array": ["foo", {"a": "bar"}], "b": 1}
    assert description["updatedFields"] == {"b": 1}
    assert description["truncatedArrays"] == [{"field": "array", "newSize": 2}]
