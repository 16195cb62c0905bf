"""Stand-in core: BSON comparison order, equality keys and type codes, as the server manual defines them."""

from __future__ import annotations

import calendar
import datetime
import math
import struct
from decimal import Decimal
from typing import Any

import bson
from bson import Binary, Code, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.datetime_ms import DatetimeMS

from tests.mongo_standin.wire import CODEC

# Canonical type ranks (https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/).
RANK_MINKEY, RANK_NULL, RANK_NUMBER, RANK_STRING, RANK_OBJECT, RANK_ARRAY = 0, 5, 10, 15, 20, 25
RANK_BINARY, RANK_OBJECTID, RANK_BOOL, RANK_DATE, RANK_TIMESTAMP, RANK_REGEX = 30, 35, 40, 45, 47, 50
RANK_CODE, RANK_MAXKEY = 60, 100

NUMBER_TYPES = (int, float, Decimal128)


def canonical_rank(value: Any) -> int:
    kind = type(value)
    if kind is bool:
        return RANK_BOOL
    if value is None:
        return RANK_NULL
    if isinstance(value, NUMBER_TYPES):
        return RANK_NUMBER
    if kind is str:
        return RANK_STRING
    if isinstance(value, dict):
        return RANK_OBJECT
    if isinstance(value, list):
        return RANK_ARRAY
    if isinstance(value, (Binary, bytes)):
        return RANK_BINARY
    if kind is ObjectId:
        return RANK_OBJECTID
    if isinstance(value, (datetime.datetime, DatetimeMS)):
        return RANK_DATE
    if kind is Timestamp:
        return RANK_TIMESTAMP
    if isinstance(value, Regex):
        return RANK_REGEX
    if isinstance(value, Code):
        return RANK_CODE
    if isinstance(value, MinKey):
        return RANK_MINKEY
    if isinstance(value, MaxKey):
        return RANK_MAXKEY
    return RANK_CODE + 1


def number_key(value: Any) -> tuple[Any, ...]:
    """Numbers of every BSON type compare by value: 1 == 1.0 == Decimal128('1.00'); NaN sorts lowest."""
    if isinstance(value, Decimal128):
        dec = value.to_decimal()
        return (0,) if dec.is_nan() else (1, dec)
    if isinstance(value, float) and math.isnan(value):
        return (0,)
    return (1, value)


def datetime_millis(value: datetime.datetime | DatetimeMS) -> int:
    if isinstance(value, DatetimeMS):
        return int(value)
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return calendar.timegm(value.timetuple()) * 1000 + value.microsecond // 1000


def sort_key(value: Any) -> tuple[Any, ...]:
    """A hashable key; equal keys mean BSON-equal values, key order is BSON comparison order."""
    kind = type(value)
    # Fast paths for the commonest exact types; the general rules below give the same keys.
    if kind is str:
        return (RANK_STRING, value)
    if kind is int:
        return (RANK_NUMBER, (1, value))
    if kind is Binary:
        return (RANK_BINARY, len(value), value.subtype, bytes(value))
    rank = canonical_rank(value)
    if rank == RANK_NUMBER:
        return (rank, number_key(value))
    if rank in (RANK_STRING, RANK_BOOL):
        return (rank, value)
    if rank == RANK_OBJECT:
        return (rank, tuple((canonical_rank(v), k, sort_key(v)) for k, v in value.items()))
    if rank == RANK_ARRAY:
        return (rank, tuple(sort_key(v) for v in value))
    if rank == RANK_BINARY:
        subtype = value.subtype if isinstance(value, Binary) else 0
        return (rank, len(value), subtype, bytes(value))
    if rank == RANK_OBJECTID:
        return (rank, value.binary)
    if rank == RANK_DATE:
        return (rank, datetime_millis(value))
    if rank == RANK_TIMESTAMP:
        return (rank, value.time, value.inc)
    if rank == RANK_REGEX:
        return (rank, value.pattern, str(value.flags))
    if rank in (RANK_NULL, RANK_MINKEY, RANK_MAXKEY):
        return (rank,)
    return (rank, repr(value))


def values_equal(left: Any, right: Any) -> bool:
    return sort_key(left) == sort_key(right)


TYPE_ALIASES: dict[str, int] = {
    "double": 1,
    "string": 2,
    "object": 3,
    "array": 4,
    "binData": 5,
    "undefined": 6,
    "objectId": 7,
    "bool": 8,
    "date": 9,
    "null": 10,
    "regex": 11,
    "dbPointer": 12,
    "javascript": 13,
    "symbol": 14,
    "javascriptWithScope": 15,
    "int": 16,
    "timestamp": 17,
    "long": 18,
    "decimal": 19,
    "minKey": -1,
    "maxKey": 127,
}
TYPE_NAMES = {code: name for name, code in TYPE_ALIASES.items()}


def bson_type_code(value: Any) -> int:
    kind = type(value)
    if kind is bool:
        return 8
    if kind is float:
        return 1
    if isinstance(value, Int64):
        return 18
    if kind is int:
        return 16 if -(2**31) <= value < 2**31 else 18
    if isinstance(value, Decimal128):
        return 19
    if value is None:
        return 10
    if kind is str:
        return 2
    if isinstance(value, dict):
        return 3
    if isinstance(value, list):
        return 4
    if isinstance(value, (Binary, bytes)):
        return 5
    if kind is ObjectId:
        return 7
    if isinstance(value, (datetime.datetime, DatetimeMS)):
        return 9
    if isinstance(value, Regex):
        return 11
    if kind is Timestamp:
        return 17
    if isinstance(value, Code):
        return 13
    if isinstance(value, MinKey):
        return -1
    if isinstance(value, MaxKey):
        return 127
    return 6


def type_name(value: Any) -> str:
    return TYPE_NAMES.get(bson_type_code(value), "unknown")


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal128):
        return value.to_decimal()
    return Decimal(value)


_EXACT_TYPES = (str, int, bool, type(None))


def bson_identical(left: Any, right: Any) -> bool:
    """Whether two values encode to the same BSON bytes (types, field order and all), without encoding.

    Shared subtrees (copy-on-write updates) are identical by identity; only differing leaves that are
    not plain str/int/bool/None/float are compared by encoding them.
    """
    if left is right:
        return True
    kind = type(left)
    if kind is not type(right):
        return False
    if kind is dict:
        if len(left) != len(right) or list(left) != list(right):
            return False
        return all(
            [lv is rv or bson_identical(lv, rv) for lv, rv in zip(left.values(), right.values(), strict=True)]
        )
    if kind is list:
        return len(left) == len(right) and all(
            bson_identical(lv, rv) for lv, rv in zip(left, right, strict=True)
        )
    if kind in _EXACT_TYPES:
        return bool(left == right)
    if kind is float:
        return struct.pack("<d", left) == struct.pack("<d", right)
    return bson.encode({"v": left}, codec_options=CODEC) == bson.encode({"v": right}, codec_options=CODEC)
