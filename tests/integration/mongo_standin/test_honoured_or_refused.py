"""Integration tests: documented options beyond the core set are honoured or refused, never ignored.

A real server honours every option here. A stand-in may refuse one it does not implement, but only
with an error: silently ignoring it would hand the caller a wrong answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pymongo.collection import Collection
from pymongo.errors import OperationFailure

pytestmark = pytest.mark.timeout(30)


def _honoured_or_refused(run: Callable[[], Any], expected: Any) -> None:
    try:
        result = run()
    except OperationFailure:
        return
    assert result == expected


def test_hint_naming_a_missing_index_fails(coll: Collection) -> None:
    coll.insert_one({"a": 1})
    with pytest.raises(OperationFailure):
        coll.find_one({"a": 1}, hint="no_such_index_1")


def test_find_with_a_case_insensitive_collation(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "s": "abc"}, {"_id": 2, "s": "ABC"}, {"_id": 3, "s": "abd"}])
    _honoured_or_refused(
        lambda: sorted(
            doc["_id"] for doc in coll.find({"s": "abc"}, collation={"locale": "en", "strength": 2})
        ),
        [1, 2],
    )


def test_update_with_array_filters(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "v": [1, 5, 3]})

    def run() -> Any:
        coll.update_one({"_id": 1}, {"$set": {"v.$[big]": 0}}, array_filters=[{"big": {"$gt": 2}}])
        return coll.find_one({"_id": 1})

    _honoured_or_refused(run, {"_id": 1, "v": [1, 0, 0]})


def test_push_with_slice_keeps_the_newest_elements(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "v": [1, 2, 3]})

    def run() -> Any:
        coll.update_one({"_id": 1}, {"$push": {"v": {"$each": [4, 5], "$slice": -3}}})
        return coll.find_one({"_id": 1})

    _honoured_or_refused(run, {"_id": 1, "v": [3, 4, 5]})


def test_positional_update_changes_the_matched_array_element(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "items": [{"sku": "x", "qty": 1}, {"sku": "y", "qty": 1}]})

    def run() -> Any:
        coll.update_one({"_id": 1, "items.sku": "y"}, {"$inc": {"items.$.qty": 4}})
        return coll.find_one({"_id": 1})

    _honoured_or_refused(run, {"_id": 1, "items": [{"sku": "x", "qty": 1}, {"sku": "y", "qty": 5}]})


def test_all_query_operator(coll: Collection) -> None:
    coll.insert_many([{"_id": 1, "t": ["a", "b", "c"]}, {"_id": 2, "t": ["a", "c"]}])
    _honoured_or_refused(lambda: [doc["_id"] for doc in coll.find({"t": {"$all": ["a", "b"]}})], [1])


def test_unwind_stage(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "t": ["a", "b"]})
    _honoured_or_refused(
        lambda: list(coll.aggregate([{"$unwind": "$t"}])),
        [{"_id": 1, "t": "a"}, {"_id": 1, "t": "b"}],
    )


def test_add_fields_stage(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 2})
    _honoured_or_refused(
        lambda: list(coll.aggregate([{"$addFields": {"b": "$a"}}])), [{"_id": 1, "a": 2, "b": 2}]
    )


def test_pipeline_style_update(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 2})

    def run() -> Any:
        coll.update_one({"_id": 1}, [{"$set": {"b": "$a"}}])
        return coll.find_one({"_id": 1})

    _honoured_or_refused(run, {"_id": 1, "a": 2, "b": 2})
