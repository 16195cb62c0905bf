"""Integration tests: index management, unique-key enforcement and index use shown by explain."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from pymongo import ASCENDING, DESCENDING
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

pytestmark = pytest.mark.timeout(30)

DUPLICATE_KEY = 11000
INDEX_NOT_FOUND = 27


# --- management ---------------------------------------------------------------------------------


def test_create_index_returns_the_default_name(coll: Collection) -> None:
    assert coll.create_index([("a", ASCENDING), ("b", DESCENDING)]) == "a_1_b_-1"


def test_index_information_describes_a_compound_index(coll: Collection) -> None:
    coll.create_index([("a", ASCENDING), ("b", DESCENDING)])
    assert coll.index_information()["a_1_b_-1"]["key"] == [("a", 1), ("b", -1)]


def test_list_indexes_includes_the_id_index(coll: Collection) -> None:
    coll.create_index("a")
    indexes = {index["name"]: index for index in coll.list_indexes()}
    assert set(indexes) == {"_id_", "a_1"}
    assert dict(indexes["_id_"]["key"]) == {"_id": 1}


def test_index_information_reports_unique_sparse_and_partial_options(coll: Collection) -> None:
    coll.create_index("u", unique=True)
    coll.create_index("s", sparse=True)
    coll.create_index("p", partialFilterExpression={"active": True})
    info = coll.index_information()
    assert info["u_1"]["unique"] is True
    assert info["s_1"]["sparse"] is True
    assert info["p_1"]["partialFilterExpression"] == {"active": True}


def test_create_index_accepts_a_custom_name(coll: Collection) -> None:
    assert coll.create_index("a", name="by_a") == "by_a"
    assert "by_a" in coll.index_information()


def test_creating_the_same_index_twice_is_a_no_op(coll: Collection) -> None:
    coll.create_index("a", unique=True)
    coll.create_index("a", unique=True)
    assert sorted(coll.index_information()) == ["_id_", "a_1"]


def test_drop_index_removes_it(coll: Collection) -> None:
    coll.create_index("a")
    coll.drop_index("a_1")
    assert sorted(coll.index_information()) == ["_id_"]


def test_dropping_an_unknown_index_fails_with_index_not_found(coll: Collection) -> None:
    coll.insert_one({"a": 1})
    with pytest.raises(OperationFailure) as failure:
        coll.drop_index("nope_1")
    assert failure.value.code == INDEX_NOT_FOUND


# --- unique enforcement -------------------------------------------------------------------------


def test_duplicate_insert_fails_with_duplicate_key_details(coll: Collection) -> None:
    coll.create_index("email", unique=True)
    coll.insert_one({"_id": 1, "email": "a@example.com"})
    with pytest.raises(DuplicateKeyError) as failure:
        coll.insert_one({"_id": 2, "email": "a@example.com"})
    assert failure.value.code == DUPLICATE_KEY
    assert failure.value.details is not None
    assert failure.value.details["keyPattern"] == {"email": 1}
    assert failure.value.details["keyValue"] == {"email": "a@example.com"}
    assert coll.count_documents({}) == 1


def test_duplicate_id_fails_with_duplicate_key(coll: Collection) -> None:
    coll.insert_one({"_id": 1})
    with pytest.raises(DuplicateKeyError) as failure:
        coll.insert_one({"_id": 1})
    assert failure.value.details is not None
    assert failure.value.details["keyPattern"] == {"_id": 1}
    assert failure.value.details["keyValue"] == {"_id": 1}


def test_compound_unique_index_allows_a_repeated_prefix(coll: Collection) -> None:
    coll.create_index([("account", ASCENDING), ("version", ASCENDING)], unique=True)
    coll.insert_many([{"account": "x", "version": 1}, {"account": "x", "version": 2}])
    with pytest.raises(DuplicateKeyError) as failure:
        coll.insert_one({"account": "x", "version": 2})
    assert failure.value.details is not None
    assert failure.value.details["keyValue"] == {"account": "x", "version": 2}


def test_unique_index_treats_missing_fields_as_duplicate_nulls(coll: Collection) -> None:
    coll.create_index("email", unique=True)
    coll.insert_one({"_id": 1})
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"_id": 2})


def test_sparse_unique_index_allows_several_documents_without_the_field(coll: Collection) -> None:
    coll.create_index("email", unique=True, sparse=True)
    coll.insert_many([{"_id": 1}, {"_id": 2}])
    coll.insert_one({"_id": 3, "email": "a"})
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"_id": 4, "email": "a"})


def test_partial_unique_index_only_constrains_matching_documents(coll: Collection) -> None:
    coll.create_index("email", unique=True, partialFilterExpression={"active": True})
    coll.insert_many(
        [
            {"_id": 1, "email": "a", "active": False},
            {"_id": 2, "email": "a", "active": False},
            {"_id": 3, "email": "a", "active": True},
        ]
    )
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"_id": 4, "email": "a", "active": True})


def test_dropping_a_unique_index_lifts_the_constraint(coll: Collection) -> None:
    coll.create_index("email", unique=True)
    coll.insert_one({"email": "a"})
    coll.drop_index("email_1")
    coll.insert_one({"email": "a"})
    assert coll.count_documents({"email": "a"}) == 2


def test_building_a_unique_index_over_duplicates_fails(coll: Collection) -> None:
    coll.insert_many([{"email": "a"}, {"email": "a"}])
    with pytest.raises(OperationFailure) as failure:
        coll.create_index("email", unique=True)
    assert failure.value.code == DUPLICATE_KEY
    assert "email_1" not in coll.index_information()


def _write_errors(failure: pytest.ExceptionInfo[BulkWriteError]) -> list[Mapping[str, Any]]:
    return list(failure.value.details["writeErrors"])


def test_ordered_insert_many_reports_the_duplicate_and_stops(coll: Collection) -> None:
    coll.create_index("email", unique=True)
    coll.insert_one({"_id": 0, "email": "a"})
    with pytest.raises(BulkWriteError) as failure:
        coll.insert_many([{"_id": 1, "email": "b"}, {"_id": 2, "email": "a"}, {"_id": 3, "email": "c"}])
    errors = _write_errors(failure)
    assert len(errors) == 1
    assert errors[0]["index"] == 1
    assert errors[0]["code"] == DUPLICATE_KEY
    assert errors[0]["keyPattern"] == {"email": 1}
    assert errors[0]["keyValue"] == {"email": "a"}
    assert failure.value.details["nInserted"] == 1
    assert sorted(doc["_id"] for doc in coll.find()) == [0, 1]


def test_unordered_insert_many_reports_every_duplicate_and_continues(coll: Collection) -> None:
    coll.create_index("email", unique=True)
    coll.insert_one({"_id": 0, "email": "a"})
    with pytest.raises(BulkWriteError) as failure:
        coll.insert_many(
            [
                {"_id": 1, "email": "a"},
                {"_id": 2, "email": "b"},
                {"_id": 3, "email": "b"},
                {"_id": 4, "email": "c"},
            ],
            ordered=False,
        )
    errors = _write_errors(failure)
    assert [(error["index"], error["code"]) for error in errors] == [(0, DUPLICATE_KEY), (2, DUPLICATE_KEY)]
    assert [error["keyValue"] for error in errors] == [{"email": "a"}, {"email": "b"}]
    assert failure.value.details["nInserted"] == 2
    assert sorted(doc["_id"] for doc in coll.find()) == [0, 2, 4]


def test_upsert_that_inserts_a_duplicate_key_fails(coll: Collection) -> None:
    coll.create_index("email", unique=True)
    coll.insert_one({"_id": 1, "email": "a"})
    with pytest.raises(DuplicateKeyError) as failure:
        coll.update_one({"_id": 2}, {"$set": {"email": "a"}}, upsert=True)
    assert failure.value.details is not None
    assert failure.value.details["keyValue"] == {"email": "a"}
    assert coll.find_one({"_id": 2}) is None


def test_update_that_creates_a_duplicate_key_fails_and_leaves_the_document(coll: Collection) -> None:
    coll.create_index("email", unique=True)
    coll.insert_many([{"_id": 1, "email": "a"}, {"_id": 2, "email": "b"}])
    with pytest.raises(DuplicateKeyError):
        coll.update_one({"_id": 2}, {"$set": {"email": "a"}})
    assert coll.find_one({"_id": 2}) == {"_id": 2, "email": "b"}


# --- explain ------------------------------------------------------------------------------------


def _stages(plan: Any) -> Iterator[str]:
    """Every `stage` name in a plan tree, whatever the nesting (inputStage(s), queryPlan, ...)."""
    if isinstance(plan, Mapping):
        if isinstance(plan.get("stage"), str):
            yield plan["stage"]
        for value in plan.values():
            yield from _stages(value)
    elif isinstance(plan, list):
        for item in plan:
            yield from _stages(item)


@pytest.fixture
def indexed(coll: Collection) -> Collection:
    coll.insert_many([{"_id": i, "k": i, "u": i} for i in range(200)])
    coll.create_index("k")
    return coll


def test_explain_of_a_find_on_an_indexed_field_uses_an_index_scan(indexed: Collection) -> None:
    explained = indexed.find({"k": 57}).explain()
    stages = set(_stages(explained["queryPlanner"]["winningPlan"]))
    assert "IXSCAN" in stages
    assert "COLLSCAN" not in stages


def test_find_on_an_indexed_field_examines_only_the_matching_documents(indexed: Collection) -> None:
    stats = indexed.find({"k": 57}).explain()["executionStats"]
    assert stats["nReturned"] == 1
    assert stats["totalDocsExamined"] == 1
    assert stats["totalKeysExamined"] <= 2


def test_find_on_an_unindexed_field_scans_the_collection(indexed: Collection) -> None:
    explained = indexed.find({"u": 57}).explain()
    assert "COLLSCAN" in set(_stages(explained["queryPlanner"]["winningPlan"]))
    assert explained["executionStats"]["totalDocsExamined"] == 200
