"""Unit tests: index range lookups follow BSON type bracketing."""

from __future__ import annotations

from bson import Decimal128

from tests.mongo_standin.storage import Collection, id_key


def _collection() -> Collection:
    from tests.mongo_standin.indexes import IndexSpec

    coll = Collection("db", "c")
    for seq, value in enumerate([1, 2.5, Decimal128("3"), "x", None], start=1):
        coll.write(id_key(seq), {"_id": seq, "k": value}, seq, keep_history=False)
    coll.add_index(IndexSpec({"key": {"k": 1}, "name": "k_1"}))
    return coll


def test_numeric_range_uses_the_index_and_spans_numeric_types() -> None:
    keys, index = _collection().plan({"k": {"$gt": 1, "$lte": 3}})
    assert index == "k_1"
    assert sorted(keys or []) == sorted([id_key(2), id_key(3)])


def test_range_never_crosses_into_other_types() -> None:
    keys, _index = _collection().plan({"k": {"$gte": "a"}})
    assert keys == [id_key(4)]
