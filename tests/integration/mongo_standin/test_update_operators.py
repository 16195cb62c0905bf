"""Integration tests: update operators and the errors for invalid updates."""

from __future__ import annotations

import datetime as dt

import pytest
from bson import Decimal128, Timestamp
from pymongo.collection import Collection
from pymongo.errors import OperationFailure

pytestmark = pytest.mark.timeout(30)

CONFLICTING_UPDATE_OPERATORS = 40
IMMUTABLE_FIELD = 66
TYPE_MISMATCH = 14

# Tolerates clock skew between this machine and a remote server.
CLOCK_TOLERANCE = dt.timedelta(minutes=5)


def _after_update(coll: Collection, update: dict, initial: dict | None = None) -> dict | None:
    coll.insert_one({"_id": 1, **(initial or {})})
    coll.update_one({"_id": 1}, update)
    return coll.find_one({"_id": 1})


def test_set_assigns_a_field(coll: Collection) -> None:
    assert _after_update(coll, {"$set": {"a": 2}}, {"a": 1}) == {"_id": 1, "a": 2}


def test_set_with_a_dotted_path_creates_embedded_documents(coll: Collection) -> None:
    assert _after_update(coll, {"$set": {"a.b.c": 1}}) == {"_id": 1, "a": {"b": {"c": 1}}}


def test_set_with_a_dotted_path_keeps_sibling_fields(coll: Collection) -> None:
    after = _after_update(coll, {"$set": {"a.y": 2}}, {"a": {"x": 1}})
    assert after == {"_id": 1, "a": {"x": 1, "y": 2}}


def test_set_on_an_array_index_replaces_that_element(coll: Collection) -> None:
    assert _after_update(coll, {"$set": {"v.1": "B"}}, {"v": ["a", "b", "c"]}) == {
        "_id": 1,
        "v": ["a", "B", "c"],
    }


def test_inc_adds_to_a_number(coll: Collection) -> None:
    assert _after_update(coll, {"$inc": {"n": 5}}, {"n": 1}) == {"_id": 1, "n": 6}


def test_inc_creates_a_missing_field(coll: Collection) -> None:
    assert _after_update(coll, {"$inc": {"n": -2}}) == {"_id": 1, "n": -2}


def test_inc_on_decimal128_stays_exact(coll: Collection) -> None:
    after = _after_update(coll, {"$inc": {"amount": Decimal128("0.20")}}, {"amount": Decimal128("0.10")})
    assert after is not None
    assert after["amount"] == Decimal128("0.30")


def test_inc_on_a_non_number_fails_with_type_mismatch(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "n": "text"})
    with pytest.raises(OperationFailure) as failure:
        coll.update_one({"_id": 1}, {"$inc": {"n": 1}})
    assert failure.value.code == TYPE_MISMATCH


def test_unset_removes_a_field(coll: Collection) -> None:
    assert _after_update(coll, {"$unset": {"a": ""}}, {"a": 1, "b": 2}) == {"_id": 1, "b": 2}


def test_unset_of_a_dotted_path_removes_only_the_embedded_field(coll: Collection) -> None:
    assert _after_update(coll, {"$unset": {"a.x": ""}}, {"a": {"x": 1, "y": 2}}) == {"_id": 1, "a": {"y": 2}}


def test_set_on_insert_applies_when_an_upsert_inserts(coll: Collection) -> None:
    coll.update_one({"_id": 1}, {"$set": {"a": 1}, "$setOnInsert": {"created": True}}, upsert=True)
    assert coll.find_one({"_id": 1}) == {"_id": 1, "a": 1, "created": True}


def test_set_on_insert_is_ignored_when_an_upsert_updates(coll: Collection) -> None:
    coll.insert_one({"_id": 1})
    coll.update_one({"_id": 1}, {"$set": {"a": 1}, "$setOnInsert": {"created": True}}, upsert=True)
    assert coll.find_one({"_id": 1}) == {"_id": 1, "a": 1}


def test_push_appends_to_an_array(coll: Collection) -> None:
    assert _after_update(coll, {"$push": {"v": 3}}, {"v": [1, 2]}) == {"_id": 1, "v": [1, 2, 3]}


def test_push_creates_a_missing_array(coll: Collection) -> None:
    assert _after_update(coll, {"$push": {"v": "x"}}) == {"_id": 1, "v": ["x"]}


def test_push_with_each_appends_several_values(coll: Collection) -> None:
    assert _after_update(coll, {"$push": {"v": {"$each": [2, 3]}}}, {"v": [1]}) == {"_id": 1, "v": [1, 2, 3]}


def test_push_onto_a_non_array_fails(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "v": 5})
    with pytest.raises(OperationFailure):
        coll.update_one({"_id": 1}, {"$push": {"v": 6}})
    assert coll.find_one({"_id": 1}) == {"_id": 1, "v": 5}


@pytest.mark.parametrize(
    ("operator", "given", "expected"),
    [
        ("$min", 3, 3),
        ("$min", 9, 5),
        ("$max", 9, 9),
        ("$max", 3, 5),
    ],
    ids=["min-lower", "min-higher", "max-higher", "max-lower"],
)
def test_min_and_max_keep_the_extreme_value(
    coll: Collection, operator: str, given: int, expected: int
) -> None:
    assert _after_update(coll, {operator: {"v": given}}, {"v": 5}) == {"_id": 1, "v": expected}


def test_max_on_a_missing_field_sets_it(coll: Collection) -> None:
    assert _after_update(coll, {"$max": {"v": 7}}) == {"_id": 1, "v": 7}


def test_current_date_sets_the_server_time_as_a_date(coll: Collection) -> None:
    after = _after_update(coll, {"$currentDate": {"at": True}})
    assert after is not None
    assert isinstance(after["at"], dt.datetime)
    assert abs(after["at"] - dt.datetime.now(dt.UTC)) < CLOCK_TOLERANCE


def test_current_date_can_set_a_timestamp(coll: Collection) -> None:
    after = _after_update(coll, {"$currentDate": {"at": {"$type": "timestamp"}}})
    assert after is not None
    assert isinstance(after["at"], Timestamp)
    assert abs(after["at"].as_datetime() - dt.datetime.now(dt.UTC)) < CLOCK_TOLERANCE


def test_several_operators_apply_in_one_update(coll: Collection) -> None:
    after = _after_update(
        coll, {"$set": {"a": 1}, "$inc": {"n": 1}, "$unset": {"gone": ""}}, {"n": 1, "gone": 0}
    )
    assert after == {"_id": 1, "n": 2, "a": 1}


def test_two_operators_on_the_same_path_fail_with_conflicting_update_operators(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 1})
    with pytest.raises(OperationFailure) as failure:
        coll.update_one({"_id": 1}, {"$set": {"a": 2}, "$inc": {"a": 1}})
    assert failure.value.code == CONFLICTING_UPDATE_OPERATORS


def test_changing_the_id_fails_with_immutable_field(coll: Collection) -> None:
    coll.insert_one({"_id": 1})
    with pytest.raises(OperationFailure) as failure:
        coll.update_one({"_id": 1}, {"$set": {"_id": 2}})
    assert failure.value.code == IMMUTABLE_FIELD
    assert coll.find_one({"_id": 1}) == {"_id": 1}
