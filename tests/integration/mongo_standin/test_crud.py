"""Integration tests: basic CRUD commands, cursors, bulk writes and BSON type round-trips."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from bson import Binary, Decimal128, Int64, ObjectId
from bson.codec_options import CodecOptions
from pymongo import ASCENDING, DESCENDING, InsertOne, ReturnDocument, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, OperationFailure

from .command_recorder import CommandRecorder
from .conftest import ClientFactory

pytestmark = pytest.mark.timeout(30)

CURSOR_NOT_FOUND = 43
TYPE_MISMATCH = 14


# --- insert / update / delete -------------------------------------------------------------


def test_insert_one_stores_the_document(coll: Collection) -> None:
    result = coll.insert_one({"_id": "a", "n": 1})
    assert result.inserted_id == "a"
    assert coll.find_one({"_id": "a"}) == {"_id": "a", "n": 1}


def test_insert_many_stores_every_document(coll: Collection) -> None:
    result = coll.insert_many([{"_id": i} for i in range(5)])
    assert result.inserted_ids == [0, 1, 2, 3, 4]
    assert sorted(doc["_id"] for doc in coll.find()) == [0, 1, 2, 3, 4]


def test_update_one_changes_only_the_first_match(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "k": "x"}, {"_id": 2, "k": "x"}])
    result = coll.update_one({"k": "x"}, {"$set": {"seen": True}})
    assert (result.matched_count, result.modified_count) == (1, 1)
    assert coll.count_documents({"seen": True}) == 1


def test_update_many_changes_every_match(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "k": "x"}, {"_id": 2, "k": "x"}, {"_id": 3, "k": "y"}])
    result = coll.update_many({"k": "x"}, {"$set": {"seen": True}})
    assert (result.matched_count, result.modified_count) == (2, 2)
    assert sorted(doc["_id"] for doc in coll.find({"seen": True})) == [1, 2]


def test_update_that_changes_nothing_reports_zero_modified(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "v": 5})
    result = coll.update_one({"_id": 1}, {"$set": {"v": 5}})
    assert (result.matched_count, result.modified_count) == (1, 0)


def test_upsert_inserts_the_filter_equalities_and_the_update(coll: Collection) -> None:
    result = coll.update_one({"_id": "acc-1", "kind": "account"}, {"$set": {"balance": 10}}, upsert=True)
    assert result.upserted_id == "acc-1"
    assert result.matched_count == 0
    assert coll.find_one({"_id": "acc-1"}) == {"_id": "acc-1", "kind": "account", "balance": 10}


def test_upsert_updates_an_existing_match_instead_of_inserting(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "balance": 1})
    result = coll.update_one({"_id": 1}, {"$set": {"balance": 2}}, upsert=True)
    assert result.upserted_id is None
    assert result.matched_count == 1
    assert coll.count_documents({}) == 1


def test_replace_one_replaces_the_whole_document_but_keeps_the_id(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 1, "b": 2})
    coll.replace_one({"_id": 1}, {"c": 3})
    assert coll.find_one({"_id": 1}) == {"_id": 1, "c": 3}


def test_delete_one_removes_a_single_match(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "k": "x"}, {"_id": 2, "k": "x"}])
    assert coll.delete_one({"k": "x"}).deleted_count == 1
    assert coll.count_documents({"k": "x"}) == 1


def test_delete_many_removes_every_match(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "k": "x"}, {"_id": 2, "k": "x"}, {"_id": 3, "k": "y"}])
    assert coll.delete_many({"k": "x"}).deleted_count == 2
    assert [doc["_id"] for doc in coll.find()] == [3]


def _bulk_with_a_failing_second_operation() -> list[InsertOne | UpdateOne]:
    # $inc on a string field is a per-document error (TypeMismatch), not a command error.
    return [
        InsertOne({"_id": 1, "name": "text"}),
        UpdateOne({"_id": 1}, {"$inc": {"name": 1}}),
        InsertOne({"_id": 2}),
    ]


def test_ordered_bulk_write_stops_at_the_first_write_error(coll: Collection) -> None:
    with pytest.raises(BulkWriteError) as failure:
        coll.bulk_write(_bulk_with_a_failing_second_operation(), ordered=True)
    details = failure.value.details
    assert [(err["index"], err["code"]) for err in details["writeErrors"]] == [(1, TYPE_MISMATCH)]
    assert details["nInserted"] == 1
    assert coll.find_one({"_id": 2}) is None


def test_unordered_bulk_write_continues_past_a_write_error(coll: Collection) -> None:
    with pytest.raises(BulkWriteError) as failure:
        coll.bulk_write(_bulk_with_a_failing_second_operation(), ordered=False)
    details = failure.value.details
    assert [(err["index"], err["code"]) for err in details["writeErrors"]] == [(1, TYPE_MISMATCH)]
    assert details["nInserted"] == 2
    assert coll.find_one({"_id": 2}) == {"_id": 2}


# --- find -----------------------------------------------------------------------------------


def test_find_filters_documents(coll: Collection) -> None:
    coll.insert_many([{"_id": i, "even": i % 2 == 0} for i in range(6)])
    assert sorted(doc["_id"] for doc in coll.find({"even": True})) == [0, 2, 4]


def test_inclusion_projection_returns_only_the_named_fields_and_id(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 1, "b": 2, "c": {"d": 3, "e": 4}})
    assert coll.find_one({}, {"a": 1, "c.d": 1}) == {"_id": 1, "a": 1, "c": {"d": 3}}


def test_inclusion_projection_can_suppress_the_id(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 1, "b": 2})
    assert coll.find_one({}, {"a": 1, "_id": 0}) == {"a": 1}


def test_exclusion_projection_drops_the_named_fields(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 1, "b": 2, "c": {"d": 3, "e": 4}})
    assert coll.find_one({}, {"b": 0, "c.e": 0}) == {"_id": 1, "a": 1, "c": {"d": 3}}


def test_projection_mixing_inclusion_and_exclusion_fails(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 1, "b": 2})
    with pytest.raises(OperationFailure):
        coll.find_one({}, {"a": 1, "b": 0})


def test_sort_on_several_keys_applies_them_in_order(coll: Collection) -> None:
    coll.insert_many(
        [
            {"_id": 1, "a": 2, "b": 1},
            {"_id": 2, "a": 1, "b": 1},
            {"_id": 3, "a": 2, "b": 3},
            {"_id": 4, "a": 1, "b": 2},
        ]
    )
    ordered = coll.find().sort([("a", ASCENDING), ("b", DESCENDING)])
    assert [doc["_id"] for doc in ordered] == [4, 2, 3, 1]


def test_skip_and_limit_page_through_sorted_results(coll: Collection) -> None:
    coll.insert_many([{"_id": i} for i in range(10)])
    page = coll.find().sort("_id", ASCENDING).skip(3).limit(4)
    assert [doc["_id"] for doc in page] == [3, 4, 5, 6]


def test_negative_sort_order_reverses(coll: Collection) -> None:
    coll.insert_many([{"_id": i} for i in range(5)])
    assert [doc["_id"] for doc in coll.find().sort("_id", DESCENDING)] == [4, 3, 2, 1, 0]


def test_small_batch_size_returns_every_document_over_many_get_mores(
    make_client: ClientFactory, mongo_db: Database
) -> None:
    mongo_db["items"].insert_many([{"_id": i} for i in range(250)])
    recorder = CommandRecorder()
    client = make_client(event_listeners=[recorder])
    cursor = client[mongo_db.name]["items"].find().sort("_id", ASCENDING).batch_size(7)
    assert [doc["_id"] for doc in cursor] == list(range(250))
    assert len(recorder.succeeded_named("getMore")) >= 250 // 7


def test_get_more_returns_batches_of_the_requested_size(mongo_db: Database) -> None:
    mongo_db["items"].insert_many([{"_id": i} for i in range(10)])
    first = mongo_db.command("find", "items", sort={"_id": 1}, batchSize=3)
    assert [doc["_id"] for doc in first["cursor"]["firstBatch"]] == [0, 1, 2]
    more = mongo_db.command("getMore", first["cursor"]["id"], collection="items", batchSize=4)
    assert [doc["_id"] for doc in more["cursor"]["nextBatch"]] == [3, 4, 5, 6]


def test_exhausted_cursor_reports_id_zero(mongo_db: Database) -> None:
    mongo_db["items"].insert_many([{"_id": i} for i in range(3)])
    reply = mongo_db.command("find", "items", batchSize=10)
    assert reply["cursor"]["id"] == 0


def test_killed_cursor_can_no_longer_be_read(mongo_db: Database) -> None:
    mongo_db["items"].insert_many([{"_id": i} for i in range(10)])
    cursor_id = mongo_db.command("find", "items", batchSize=2)["cursor"]["id"]
    assert cursor_id != 0
    killed = mongo_db.command("killCursors", "items", cursors=[Int64(cursor_id)])
    assert killed["cursorsKilled"] == [cursor_id]
    with pytest.raises(OperationFailure) as failure:
        mongo_db.command("getMore", Int64(cursor_id), collection="items")
    assert failure.value.code == CURSOR_NOT_FOUND


def test_closing_a_live_cursor_kills_it_on_the_server(make_client: ClientFactory, mongo_db: Database) -> None:
    mongo_db["items"].insert_many([{"_id": i} for i in range(10)])
    recorder = CommandRecorder()
    client = make_client(event_listeners=[recorder])
    cursor = client[mongo_db.name]["items"].find().batch_size(2)
    next(cursor)
    cursor.close()
    kills = recorder.succeeded_named("killCursors")
    assert len(kills) == 1
    assert len(kills[0].reply["cursorsKilled"]) == 1


# --- findAndModify, count, distinct -------------------------------------------------------------


def test_find_one_and_update_returns_the_document_after_the_update(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "n": 1})
    after = coll.find_one_and_update({"_id": 1}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER)
    assert after == {"_id": 1, "n": 2}


def test_find_one_and_update_returns_the_document_before_the_update(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "n": 1})
    before = coll.find_one_and_update({"_id": 1}, {"$inc": {"n": 1}}, return_document=ReturnDocument.BEFORE)
    assert before == {"_id": 1, "n": 1}
    assert coll.find_one({"_id": 1}) == {"_id": 1, "n": 2}


def test_find_one_and_update_upsert_returns_the_new_document(coll: Collection) -> None:
    created = coll.find_one_and_update(
        {"_id": "seq"}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    assert created == {"_id": "seq", "n": 1}


def test_find_one_and_update_upsert_returning_before_gives_none(coll: Collection) -> None:
    before = coll.find_one_and_update({"_id": "seq"}, {"$inc": {"n": 1}}, upsert=True)
    assert before is None
    assert coll.find_one({"_id": "seq"}) == {"_id": "seq", "n": 1}


def test_find_one_and_update_honours_sort_to_pick_the_document(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "p": 5}, {"_id": 2, "p": 9}, {"_id": 3, "p": 7}])
    picked = coll.find_one_and_update({}, {"$set": {"taken": True}}, sort=[("p", DESCENDING)])
    assert picked is not None
    assert picked["_id"] == 2


def test_find_one_and_delete_returns_and_removes_the_document(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "n": 1})
    assert coll.find_one_and_delete({"_id": 1}) == {"_id": 1, "n": 1}
    assert coll.count_documents({}) == 0


def test_count_documents_counts_matches(coll: Collection) -> None:
    coll.insert_many([{"_id": i, "k": i % 3} for i in range(10)])
    assert coll.count_documents({"k": 0}) == 4
    assert coll.count_documents({}) == 10


def test_count_documents_honours_skip_and_limit(coll: Collection) -> None:
    coll.insert_many([{"_id": i} for i in range(10)])
    assert coll.count_documents({}, skip=2, limit=5) == 5
    assert coll.count_documents({}, skip=8, limit=5) == 2


def test_estimated_document_count_counts_the_collection(coll: Collection) -> None:
    coll.insert_many([{"_id": i} for i in range(7)])
    assert coll.estimated_document_count() == 7


def test_distinct_returns_each_value_once(coll: Collection) -> None:
    coll.insert_many([{"k": "a"}, {"k": "b"}, {"k": "a"}, {"other": 1}])
    assert sorted(coll.distinct("k")) == ["a", "b"]


def test_distinct_unwinds_array_values(coll: Collection) -> None:
    coll.insert_many([{"tags": ["x", "y"]}, {"tags": ["y", "z"]}, {"tags": "w"}])
    assert sorted(coll.distinct("tags")) == ["w", "x", "y", "z"]


def test_distinct_applies_the_filter(coll: Collection) -> None:
    coll.insert_many([{"k": "a", "n": 1}, {"k": "b", "n": 2}, {"k": "c", "n": 2}])
    assert sorted(coll.distinct("k", {"n": 2})) == ["b", "c"]


# --- collections and databases ------------------------------------------------------------------


def test_create_collection_makes_it_listed(mongo_db: Database) -> None:
    mongo_db.create_collection("made")
    assert "made" in mongo_db.list_collection_names()


def test_first_insert_creates_the_collection_implicitly(mongo_db: Database) -> None:
    mongo_db["implicit"].insert_one({"a": 1})
    assert "implicit" in mongo_db.list_collection_names()


def test_drop_removes_the_collection_and_its_documents(mongo_db: Database) -> None:
    mongo_db["gone"].insert_one({"a": 1})
    mongo_db["gone"].drop()
    assert "gone" not in mongo_db.list_collection_names()
    assert mongo_db["gone"].count_documents({}) == 0


def test_drop_database_removes_its_collections(mongo_db: Database) -> None:
    mongo_db["one"].insert_one({"a": 1})
    mongo_db.client.drop_database(mongo_db.name)
    assert mongo_db.list_collection_names() == []
    assert mongo_db.name not in mongo_db.client.list_database_names()


# --- BSON type round-trips ----------------------------------------------------------------------


def test_decimal128_round_trips_exactly(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "amount": Decimal128("0.10")})
    stored = coll.find_one({"_id": 1})
    assert stored is not None
    assert str(stored["amount"]) == "0.10"
    assert stored["amount"].to_decimal() == Decimal("0.10")


def test_uuid_round_trips_as_uuid(coll: Collection) -> None:
    value = uuid.uuid4()
    coll.insert_one({"_id": value, "ref": value})
    stored = coll.find_one({"ref": value})
    assert stored == {"_id": value, "ref": value}


def test_uuid_is_stored_as_binary_subtype_4(coll: Collection) -> None:
    value = uuid.uuid4()
    coll.insert_one({"_id": 1, "ref": value})
    raw = coll.with_options(codec_options=CodecOptions(uuid_representation=0)).find_one({"_id": 1})
    assert raw is not None
    assert isinstance(raw["ref"], Binary)
    assert raw["ref"].subtype == 4
    assert raw["ref"] == Binary(value.bytes, 4)


def test_datetime_round_trips_with_millisecond_precision_in_utc(coll: Collection) -> None:
    moment = dt.datetime(2024, 5, 17, 12, 30, 45, 123456, tzinfo=dt.UTC)
    coll.insert_one({"_id": 1, "at": moment})
    stored = coll.find_one({"_id": 1})
    assert stored is not None
    assert stored["at"] == moment.replace(microsecond=123000)
    assert stored["at"].utcoffset() == dt.timedelta(0)


def test_nested_documents_and_arrays_round_trip(coll: Collection) -> None:
    document = {"_id": 1, "a": {"b": {"c": [1, {"d": "e"}, [2, 3]]}}, "empty": {}, "none": None}
    coll.insert_one(document)
    assert coll.find_one({"_id": 1}) == document


def test_field_order_is_preserved(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "z": 1, "a": 2, "m": 3})
    stored = coll.find_one({"_id": 1})
    assert stored is not None
    assert list(stored) == ["_id", "z", "a", "m"]


def test_int64_and_objectid_round_trip(coll: Collection) -> None:
    oid = ObjectId()
    coll.insert_one({"_id": oid, "big": Int64(2**40)})
    stored = coll.find_one({"_id": oid})
    assert stored is not None
    assert stored["big"] == 2**40
    assert isinstance(stored["big"], Int64)


def test_gt_with_an_int_compares_decimal128_numerically(coll: Collection) -> None:
    coll.insert_many(
        [
            {"_id": "below", "price": Decimal128("4.99")},
            {"_id": "equal", "price": Decimal128("5.00")},
            {"_id": "above", "price": Decimal128("5.01")},
        ]
    )
    assert [doc["_id"] for doc in coll.find({"price": {"$gt": 5}})] == ["above"]


def test_equality_matches_numbers_of_different_types_by_value(coll: Collection) -> None:
    coll.insert_many(
        [
            {"_id": "int", "v": 5},
            {"_id": "long", "v": Int64(5)},
            {"_id": "double", "v": 5.0},
            {"_id": "decimal", "v": Decimal128("5.0")},
            {"_id": "other", "v": 6},
        ]
    )
    assert sorted(doc["_id"] for doc in coll.find({"v": Decimal128("5")})) == [
        "decimal",
        "double",
        "int",
        "long",
    ]


def test_sort_orders_mixed_types_by_bson_comparison_order(coll: Collection) -> None:
    moment = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    coll.insert_many(
        [
            {"_id": "date", "v": moment},
            {"_id": "bool", "v": True},
            {"_id": "oid", "v": ObjectId("000000000000000000000001")},
            {"_id": "binary", "v": Binary(b"\x01", 0)},
            {"_id": "object", "v": {"a": 1}},
            {"_id": "string", "v": "text"},
            {"_id": "int", "v": 3},
            {"_id": "decimal", "v": Decimal128("2.7")},
            {"_id": "double", "v": 2.5},
            {"_id": "null", "v": None},
        ]
    )
    ordered = [doc["_id"] for doc in coll.find().sort("v", ASCENDING)]
    assert ordered == [
        "null",
        "double",
        "decimal",
        "int",
        "string",
        "object",
        "binary",
        "oid",
        "bool",
        "date",
    ]
