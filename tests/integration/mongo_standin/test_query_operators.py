"""Integration tests: query operators, dotted paths and array matching in find filters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest
from bson import Decimal128, Int64, Regex
from pymongo.collection import Collection

pytestmark = pytest.mark.timeout(30)


def _ids(coll: Collection, query: Mapping[str, Any]) -> list[Any]:
    return sorted(doc["_id"] for doc in coll.find(query))


@pytest.fixture
def numbers(coll: Collection) -> Collection:
    coll.insert_many([{"_id": i, "n": i} for i in range(1, 6)] + [{"_id": 0}])
    return coll


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"n": {"$eq": 3}}, [3]),
        ({"n": 3}, [3]),
        ({"n": {"$gt": 3}}, [4, 5]),
        ({"n": {"$gte": 3}}, [3, 4, 5]),
        ({"n": {"$lt": 3}}, [1, 2]),
        ({"n": {"$lte": 3}}, [1, 2, 3]),
        ({"n": {"$gt": 1, "$lt": 4}}, [2, 3]),
        ({"n": {"$in": [1, 5, 9]}}, [1, 5]),
    ],
    ids=["eq", "implicit-eq", "gt", "gte", "lt", "lte", "range", "in"],
)
def test_comparison_operator_selects_matching_values(
    numbers: Collection, query: Mapping[str, Any], expected: list[int]
) -> None:
    assert _ids(numbers, query) == expected


def test_ne_also_matches_documents_without_the_field(numbers: Collection) -> None:
    assert _ids(numbers, {"n": {"$ne": 3}}) == [0, 1, 2, 4, 5]


def test_nin_also_matches_documents_without_the_field(numbers: Collection) -> None:
    assert _ids(numbers, {"n": {"$nin": [1, 2]}}) == [0, 3, 4, 5]


def test_range_operators_do_not_match_a_missing_field(numbers: Collection) -> None:
    assert _ids(numbers, {"n": {"$lt": 100}}) == [1, 2, 3, 4, 5]


def test_comparison_does_not_cross_type_brackets(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "v": 5}, {"_id": 2, "v": "5"}, {"_id": 3, "v": "9"}])
    assert _ids(coll, {"v": {"$gt": 1}}) == [1]
    assert _ids(coll, {"v": {"$gt": "1"}}) == [2, 3]


def test_comparison_across_numeric_types_uses_the_value(coll: Collection) -> None:
    coll.insert_many(
        [
            {"_id": 1, "v": Int64(3)},
            {"_id": 2, "v": 3.5},
            {"_id": 3, "v": Decimal128("4")},
            {"_id": 4, "v": 2},
        ]
    )
    assert _ids(coll, {"v": {"$gte": Decimal128("3"), "$lt": 4.0}}) == [1, 2]


def test_exists_true_matches_present_fields_including_null(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "a": None}, {"_id": 2, "a": 0}, {"_id": 3}])
    assert _ids(coll, {"a": {"$exists": True}}) == [1, 2]


def test_exists_false_matches_missing_fields(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "a": None}, {"_id": 2, "a": 0}, {"_id": 3}])
    assert _ids(coll, {"a": {"$exists": False}}) == [3]


def test_null_equality_matches_null_and_missing_fields(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "a": None}, {"_id": 2, "a": 0}, {"_id": 3}])
    assert _ids(coll, {"a": None}) == [1, 3]


def test_and_requires_every_clause(numbers: Collection) -> None:
    assert _ids(numbers, {"$and": [{"n": {"$gt": 1}}, {"n": {"$lt": 4}}]}) == [2, 3]


def test_or_accepts_any_clause(numbers: Collection) -> None:
    assert _ids(numbers, {"$or": [{"n": 1}, {"n": 5}]}) == [1, 5]


def test_nor_rejects_every_clause(numbers: Collection) -> None:
    assert _ids(numbers, {"$nor": [{"n": 1}, {"n": 5}]}) == [0, 2, 3, 4]


def test_not_inverts_an_operator_and_matches_missing_fields(numbers: Collection) -> None:
    assert _ids(numbers, {"n": {"$not": {"$gt": 2}}}) == [0, 1, 2]


def test_regex_matches_strings(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "s": "apple"}, {"_id": 2, "s": "Apricot"}, {"_id": 3, "s": "banana"}])
    assert _ids(coll, {"s": {"$regex": "^ap"}}) == [1]


def test_regex_options_make_it_case_insensitive(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "s": "apple"}, {"_id": 2, "s": "Apricot"}, {"_id": 3, "s": "banana"}])
    assert _ids(coll, {"s": {"$regex": "^ap", "$options": "i"}}) == [1, 2]


def test_regex_given_as_a_bson_regex_value_matches(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "s": "apple"}, {"_id": 2, "s": "Apricot"}])
    assert _ids(coll, {"s": Regex("^AP", "i")}) == [1, 2]
    assert _ids(coll, {"s": re.compile("cot$")}) == [2]


def test_regex_does_not_match_non_strings(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "s": 12}, {"_id": 2, "s": "12"}])
    assert _ids(coll, {"s": {"$regex": "1"}}) == [2]


@pytest.mark.parametrize(
    ("type_spec", "expected"),
    [
        ("string", ["string"]),
        (2, ["string"]),
        ("int", ["int"]),
        ("double", ["double"]),
        ("long", ["long"]),
        ("decimal", ["decimal"]),
        ("number", ["decimal", "double", "int", "long"]),
        ("null", ["null"]),
        ("object", ["object"]),
        ("bool", ["bool"]),
        (["string", "bool"], ["bool", "string"]),
    ],
)
def test_type_selects_by_bson_type(coll: Collection, type_spec: Any, expected: list[str]) -> None:
    coll.insert_many(
        [
            {"_id": "string", "v": "s"},
            {"_id": "int", "v": 1},
            {"_id": "double", "v": 1.5},
            {"_id": "long", "v": Int64(1)},
            {"_id": "decimal", "v": Decimal128("1")},
            {"_id": "null", "v": None},
            {"_id": "object", "v": {"a": 1}},
            {"_id": "bool", "v": False},
            {"_id": "missing"},
        ]
    )
    assert _ids(coll, {"v": {"$type": type_spec}}) == expected


def test_dotted_path_reaches_into_embedded_documents(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "a": {"b": {"c": 1}}}, {"_id": 2, "a": {"b": {"c": 2}}}, {"_id": 3, "a": 1}])
    assert _ids(coll, {"a.b.c": 2}) == [2]


def test_dotted_path_reaches_into_arrays_of_documents(coll: Collection) -> None:
    coll.insert_many(
        [
            {"_id": 1, "items": [{"sku": "x", "qty": 1}, {"sku": "y", "qty": 5}]},
            {"_id": 2, "items": [{"sku": "z", "qty": 2}]},
        ]
    )
    assert _ids(coll, {"items.sku": "y"}) == [1]


def test_dotted_path_with_a_numeric_component_addresses_an_array_position(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "tags": ["a", "b"]}, {"_id": 2, "tags": ["b", "a"]}])
    assert _ids(coll, {"tags.0": "a"}) == [1]


def test_scalar_equality_matches_an_array_element(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "tags": ["a", "b"]}, {"_id": 2, "tags": ["c"]}, {"_id": 3, "tags": "a"}])
    assert _ids(coll, {"tags": "a"}) == [1, 3]


def test_array_equality_matches_the_whole_array_in_order(coll: Collection) -> None:
    coll.insert_many(
        [{"_id": 1, "tags": ["a", "b"]}, {"_id": 2, "tags": ["b", "a"]}, {"_id": 3, "tags": ["a"]}]
    )
    assert _ids(coll, {"tags": ["a", "b"]}) == [1]


def test_in_matches_if_any_array_element_is_listed(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "tags": ["a", "b"]}, {"_id": 2, "tags": ["c"]}])
    assert _ids(coll, {"tags": {"$in": ["b", "z"]}}) == [1]


def test_in_on_id_with_repeated_and_equal_values_returns_each_document_once(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "n": 0}, {"_id": 2, "n": 0}])
    assert [doc["_id"] for doc in coll.find({"_id": {"$in": [1, 1, 1.0]}})] == [1]
    assert coll.update_many({"_id": {"$in": [1, 1.0, 2, 2]}}, {"$inc": {"n": 1}}).modified_count == 2
    assert _ids(coll, {"n": 1}) == [1, 2]


def test_range_on_an_array_may_be_satisfied_by_different_elements(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "v": [1, 10]}, {"_id": 2, "v": [5]}, {"_id": 3, "v": [20]}])
    assert _ids(coll, {"v": {"$gt": 4, "$lt": 6}}) == [1, 2]


def test_elem_match_requires_one_element_to_satisfy_all_conditions(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "v": [1, 10]}, {"_id": 2, "v": [5]}, {"_id": 3, "v": [20]}])
    assert _ids(coll, {"v": {"$elemMatch": {"$gt": 4, "$lt": 6}}}) == [2]


def test_elem_match_on_embedded_documents(coll: Collection) -> None:
    coll.insert_many(
        [
            {"_id": 1, "items": [{"sku": "x", "qty": 1}, {"sku": "y", "qty": 5}]},
            {"_id": 2, "items": [{"sku": "x", "qty": 5}]},
        ]
    )
    assert _ids(coll, {"items": {"$elemMatch": {"sku": "x", "qty": {"$gte": 5}}}}) == [2]


def test_size_matches_arrays_of_exactly_that_length(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "v": []}, {"_id": 2, "v": [1, 2]}, {"_id": 3, "v": [1]}, {"_id": 4, "v": 2}])
    assert _ids(coll, {"v": {"$size": 2}}) == [2]
    assert _ids(coll, {"v": {"$size": 0}}) == [1]


def test_operators_on_different_fields_combine_with_implicit_and(coll: Collection) -> None:
    coll.insert_many(
        [{"_id": 1, "a": 1, "b": "x"}, {"_id": 2, "a": 1, "b": "y"}, {"_id": 3, "a": 2, "b": "x"}]
    )
    assert _ids(coll, {"a": 1, "b": {"$in": ["x"]}}) == [1]


def test_embedded_document_equality_is_exact_and_order_sensitive(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "a": {"x": 1, "y": 2}}, {"_id": 2, "a": {"y": 2, "x": 1}}])
    assert _ids(coll, {"a": {"x": 1, "y": 2}}) == [1]
