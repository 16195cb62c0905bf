"""Unit tests: the stand-in's filter compiler and update operators on plain documents."""

from __future__ import annotations

import datetime

import pytest
from bson import Decimal128, Timestamp

from tests.mongo_standin.errors import BadValueError, CommandError, NotImplementedByStandinError
from tests.mongo_standin.query import compile_filter
from tests.mongo_standin.update import apply_update

NOW = datetime.datetime(2024, 1, 1)
TS = Timestamp(1, 1)


@pytest.mark.parametrize(
    ("spec", "doc", "expected"),
    [
        ({"a": None}, {}, True),
        ({"a": {"$ne": None}}, {"a": 0}, True),
        ({"tags": "x"}, {"tags": ["y", "x"]}, True),
        ({"a.b": 2}, {"a": [{"b": 1}, {"b": 2}]}, True),
        ({"a": {"$gt": 5}}, {"a": "9"}, False),
        ({"a": {"$gte": Decimal128("1.5")}}, {"a": 2}, True),
        ({"a": {"$elemMatch": {"x": 1, "y": 2}}}, {"a": [{"x": 1}, {"x": 1, "y": 2}]}, True),
        ({"a": {"$size": 2}}, {"a": [1, 2]}, True),
        ({"a": {"$type": "string"}}, {"a": ["s"]}, True),
        ({"$nor": [{"a": 1}]}, {"a": 1}, False),
        ({"a": {"$not": {"$regex": "^x"}}}, {"a": "yx"}, True),
        ({"a": {"$exists": False}}, {"b": 1}, True),
    ],
)
def test_filter_semantics(spec: dict, doc: dict, expected: bool) -> None:
    assert compile_filter(spec)(doc) is expected


def test_unknown_operator_is_refused_as_bad_value() -> None:
    with pytest.raises(BadValueError):
        compile_filter({"a": {"$bogus": 1}})


def test_real_but_unsupported_operator_is_refused_as_not_implemented() -> None:
    with pytest.raises(NotImplementedByStandinError):
        compile_filter({"$expr": {"$eq": ["$a", 1]}})


def test_inc_on_decimal_stays_decimal_and_exact() -> None:
    stored = {"_id": 1, "bal": Decimal128("0.10")}
    new = apply_update(stored, {"$inc": {"bal": Decimal128("0.20")}}, False, NOW, TS)
    assert new["bal"] == Decimal128("0.30")


def test_update_never_mutates_the_stored_document() -> None:
    stored = {"_id": 1, "a": {"b": [1]}}
    apply_update(stored, {"$push": {"a.b": 2}, "$set": {"a.c": 1}}, False, NOW, TS)
    assert stored == {"_id": 1, "a": {"b": [1]}}


def test_conflicting_paths_are_refused() -> None:
    with pytest.raises(CommandError) as failure:
        apply_update({"_id": 1}, {"$set": {"a": 1}, "$inc": {"a.b": 1}}, False, NOW, TS)
    assert failure.value.code == 40


def test_set_on_insert_applies_only_when_inserting() -> None:
    assert apply_update({"_id": 1}, {"$setOnInsert": {"a": 1}}, False, NOW, TS) == {"_id": 1}
    assert apply_update({"_id": 1}, {"$setOnInsert": {"a": 1}}, True, NOW, TS) == {"_id": 1, "a": 1}
