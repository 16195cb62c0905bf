"""Unit tests: the stand-in's BSON comparison order and cross-type numeric equality."""

from __future__ import annotations

import datetime

from bson import Binary, Decimal128, Int64, MaxKey, MinKey, ObjectId

from tests.mongo_standin.bsonvalues import sort_key, values_equal


def test_numbers_of_every_type_are_equal_by_value() -> None:
    assert values_equal(1, 1.0)
    assert values_equal(Int64(1), Decimal128("1.00"))
    assert hash(sort_key(2)) == hash(sort_key(Decimal128("2.0")))


def test_types_sort_in_the_documented_order() -> None:
    ordered = [
        MinKey(),
        None,
        5,
        "a",
        {"a": 1},
        [1],
        Binary(b"x", 4),
        ObjectId(),
        False,
        datetime.datetime(2020, 1, 1),
        MaxKey(),
    ]
    assert sorted(reversed(ordered), key=sort_key) == ordered


def test_decimal_compares_exactly_with_float_and_int() -> None:
    assert sort_key(Decimal128("0.1")) != sort_key(0.1)
    assert sort_key(Decimal128("10.5")) > sort_key(10)


def test_booleans_are_not_numbers() -> None:
    assert not values_equal(True, 1)
