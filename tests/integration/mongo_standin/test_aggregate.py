"""Integration tests: aggregation pipeline stages and $group accumulators."""

from __future__ import annotations

from typing import Any

import pytest
from bson import Decimal128
from pymongo.collection import Collection

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def sales(coll: Collection) -> Collection:
    coll.insert_many(
        [
            {"_id": 1, "shop": "a", "amount": 10, "day": 1},
            {"_id": 2, "shop": "b", "amount": 5, "day": 1},
            {"_id": 3, "shop": "a", "amount": 7, "day": 2},
            {"_id": 4, "shop": "a", "amount": 3, "day": 3},
            {"_id": 5, "shop": "b", "amount": 20, "day": 2},
        ]
    )
    return coll


def _run(coll: Collection, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list(coll.aggregate(pipeline))


def test_match_filters_documents(sales: Collection) -> None:
    assert [doc["_id"] for doc in _run(sales, [{"$match": {"shop": "b"}}, {"$sort": {"_id": 1}}])] == [2, 5]


def test_sort_orders_by_several_keys(sales: Collection) -> None:
    result = _run(sales, [{"$sort": {"shop": 1, "amount": -1}}])
    assert [doc["_id"] for doc in result] == [1, 3, 4, 5, 2]


def test_skip_and_limit_after_sort(sales: Collection) -> None:
    result = _run(sales, [{"$sort": {"_id": 1}}, {"$skip": 1}, {"$limit": 2}])
    assert [doc["_id"] for doc in result] == [2, 3]


def test_group_sums_per_key(sales: Collection) -> None:
    result = _run(sales, [{"$group": {"_id": "$shop", "total": {"$sum": "$amount"}}}, {"$sort": {"_id": 1}}])
    assert result == [{"_id": "a", "total": 20}, {"_id": "b", "total": 25}]


def test_group_sum_of_one_counts_documents(sales: Collection) -> None:
    result = _run(sales, [{"$group": {"_id": "$shop", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}])
    assert result == [{"_id": "a", "n": 3}, {"_id": "b", "n": 2}]


def test_group_min_and_max(sales: Collection) -> None:
    result = _run(
        sales,
        [
            {"$group": {"_id": "$shop", "low": {"$min": "$amount"}, "high": {"$max": "$amount"}}},
            {"$sort": {"_id": 1}},
        ],
    )
    assert result == [{"_id": "a", "low": 3, "high": 10}, {"_id": "b", "low": 5, "high": 20}]


def test_group_first_and_last_follow_the_preceding_sort(sales: Collection) -> None:
    result = _run(
        sales,
        [
            {"$sort": {"day": 1}},
            {"$group": {"_id": "$shop", "first": {"$first": "$amount"}, "last": {"$last": "$amount"}}},
            {"$sort": {"_id": 1}},
        ],
    )
    assert result == [{"_id": "a", "first": 10, "last": 3}, {"_id": "b", "first": 5, "last": 20}]


def test_group_by_null_aggregates_the_whole_collection(sales: Collection) -> None:
    assert _run(sales, [{"$group": {"_id": None, "total": {"$sum": "$amount"}}}]) == [
        {"_id": None, "total": 45}
    ]


def test_group_by_a_compound_key(coll: Collection) -> None:
    coll.insert_many(
        [
            {"shop": "a", "kind": "x"},
            {"shop": "a", "kind": "x"},
            {"shop": "a", "kind": "y"},
            {"shop": "b", "kind": "x"},
        ]
    )
    result = _run(
        coll,
        [
            {"$group": {"_id": {"shop": "$shop", "kind": "$kind"}, "n": {"$sum": 1}}},
            {"$sort": {"_id.shop": 1, "_id.kind": 1}},
        ],
    )
    assert result == [
        {"_id": {"shop": "a", "kind": "x"}, "n": 2},
        {"_id": {"shop": "a", "kind": "y"}, "n": 1},
        {"_id": {"shop": "b", "kind": "x"}, "n": 1},
    ]


def test_group_sum_of_decimal128_is_exact(coll: Collection) -> None:
    coll.insert_many([{"amount": Decimal128("0.10")} for _ in range(3)])
    result = _run(coll, [{"$group": {"_id": None, "total": {"$sum": "$amount"}}}])
    assert result[0]["total"] == Decimal128("0.30")


def test_group_sum_ignores_missing_and_non_numeric_values(coll: Collection) -> None:
    coll.insert_many([{"amount": 2}, {"amount": "3"}, {}])
    assert _run(coll, [{"$group": {"_id": None, "total": {"$sum": "$amount"}}}]) == [
        {"_id": None, "total": 2}
    ]


def test_project_includes_fields(sales: Collection) -> None:
    result = _run(sales, [{"$match": {"_id": 1}}, {"$project": {"shop": 1}}])
    assert result == [{"_id": 1, "shop": "a"}]


def test_project_excludes_fields(sales: Collection) -> None:
    result = _run(sales, [{"$match": {"_id": 1}}, {"$project": {"day": 0, "_id": 0}}])
    assert result == [{"shop": "a", "amount": 10}]


def test_project_computes_a_field_from_a_path(sales: Collection) -> None:
    result = _run(sales, [{"$match": {"_id": 1}}, {"$project": {"_id": 0, "value": "$amount"}}])
    assert result == [{"value": 10}]


def test_count_stage_counts_incoming_documents(sales: Collection) -> None:
    assert _run(sales, [{"$match": {"shop": "a"}}, {"$count": "n"}]) == [{"n": 3}]


def test_count_stage_on_no_documents_returns_nothing(sales: Collection) -> None:
    assert _run(sales, [{"$match": {"shop": "zzz"}}, {"$count": "n"}]) == []


def test_aggregate_on_a_missing_collection_returns_nothing(coll: Collection) -> None:
    assert _run(coll, [{"$match": {}}]) == []


def test_aggregate_results_over_many_batches_are_complete(coll: Collection) -> None:
    coll.insert_many([{"_id": i} for i in range(300)])
    result = list(coll.aggregate([{"$sort": {"_id": 1}}], batchSize=10))
    assert [doc["_id"] for doc in result] == list(range(300))
