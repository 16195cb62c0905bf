"""Stand-in aggregation: expressions ($field paths, literals, a small operator set) and accumulators."""

from __future__ import annotations

from typing import Any

from bson import Decimal128, Int64

from tests.mongo_standin.bsonvalues import NUMBER_TYPES, sort_key, values_equal
from tests.mongo_standin.errors import CommandError
from tests.mongo_standin.paths import MISSING, split
from tests.mongo_standin.update import DECIMAL_CONTEXT


class InvalidPipelineOperatorError(CommandError):
    code = 168


def field_value(doc: Any, parts: list[str]) -> Any:
    """`$a.b` semantics: arrays map over their elements."""
    value = doc
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part, MISSING)
        elif isinstance(value, list):
            mapped = [field_value(v, [part]) for v in value if isinstance(v, dict)]
            value = [m for m in mapped if m is not MISSING]
        else:
            return MISSING
    return value


def evaluate(expr: Any, doc: dict[str, Any]) -> Any:
    if isinstance(expr, str) and expr.startswith("$"):
        if expr in ("$$ROOT", "$$CURRENT"):
            return doc
        if expr.startswith("$$"):
            raise InvalidPipelineOperatorError(f"variable {expr} is not supported by the MongoDB stand-in")
        return field_value(doc, split(expr[1:]))
    if isinstance(expr, list):
        return [_present(evaluate(e, doc)) for e in expr]
    if isinstance(expr, dict):
        if len(expr) == 1 and next(iter(expr)).startswith("$"):
            op, arg = next(iter(expr.items()))
            return _operator(op, arg, doc)
        return {k: v for k, v in ((k, evaluate(e, doc)) for k, e in expr.items()) if v is not MISSING}
    return expr


def _present(value: Any) -> Any:
    return None if value is MISSING else value


def _args(arg: Any, doc: dict[str, Any]) -> list[Any]:
    return [_present(evaluate(a, doc)) for a in (arg if isinstance(arg, list) else [arg])]


def add_numbers(left: Any, right: Any) -> Any:
    if isinstance(left, Decimal128) or isinstance(right, Decimal128):
        a = left.to_decimal() if isinstance(left, Decimal128) else left
        b = right.to_decimal() if isinstance(right, Decimal128) else right
        return Decimal128(
            DECIMAL_CONTEXT.copy().add(DECIMAL_CONTEXT.create_decimal(a), DECIMAL_CONTEXT.create_decimal(b))
        )
    total = left + right
    if isinstance(left, float) or isinstance(right, float):
        return float(total)
    if isinstance(left, Int64) or isinstance(right, Int64) or not -(2**31) <= total < 2**31:
        return Int64(total)
    return int(total)


def is_number(value: Any) -> bool:
    return isinstance(value, NUMBER_TYPES) and not isinstance(value, bool)


def _operator(op: str, arg: Any, doc: dict[str, Any]) -> Any:
    if op == "$literal":
        return arg
    if op in ("$sum", "$add"):
        total: Any = 0
        values = _args(arg, doc)
        if op == "$sum" and len(values) == 1 and isinstance(values[0], list):
            values = values[0]
        for value in values:
            if is_number(value):
                total = add_numbers(total, value)
            elif op == "$add" and value is None:
                return None
        return total
    if op in ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$cmp"):
        a, b = _args(arg, doc)
        ka, kb = sort_key(a), sort_key(b)
        return {
            "$eq": ka == kb,
            "$ne": ka != kb,
            "$gt": ka > kb,
            "$gte": ka >= kb,
            "$lt": ka < kb,
            "$lte": ka <= kb,
            "$cmp": (ka > kb) - (ka < kb),
        }[op]
    if op == "$and":
        return all(_truthy(v) for v in _args(arg, doc))
    if op == "$or":
        return any(_truthy(v) for v in _args(arg, doc))
    if op == "$not":
        return not _truthy(_args(arg, doc)[0])
    if op == "$cond":
        if isinstance(arg, dict):
            arg = [arg.get("if"), arg.get("then"), arg.get("else")]
        return evaluate(arg[1], doc) if _truthy(_present(evaluate(arg[0], doc))) else evaluate(arg[2], doc)
    if op == "$ifNull":
        values = _args(arg, doc)
        return next((v for v in values[:-1] if v is not None), values[-1])
    if op == "$size":
        value = _args(arg, doc)[0]
        if not isinstance(value, list):
            raise CommandError("The argument to $size must be an array", code=17124)
        return len(value)
    if op == "$concat":
        values = _args(arg, doc)
        return None if any(v is None for v in values) else "".join(values)
    if op in ("$toLower", "$toUpper"):
        value = _args(arg, doc)[0]
        text = "" if value is None else str(value)
        return text.lower() if op == "$toLower" else text.upper()
    if op == "$in":
        value, array = _args(arg, doc)
        return any(values_equal(value, item) for item in array)
    raise InvalidPipelineOperatorError(
        f"Unrecognized expression '{op}' (not implemented by the MongoDB stand-in)"
    )


def _truthy(value: Any) -> bool:
    if value is None or value is MISSING or value is False:
        return False
    if is_number(value):
        return bool(value.to_decimal() if isinstance(value, Decimal128) else value)
    return True


ACCUMULATORS = frozenset({"$sum", "$avg", "$min", "$max", "$first", "$last", "$push", "$addToSet", "$count"})


def accumulate(op: str, values: list[Any]) -> Any:
    """Fold the per-document values of one group."""
    if op == "$sum" or op == "$count":
        total: Any = 0
        for value in values:
            if is_number(value):
                total = add_numbers(total, value)
        return total
    if op == "$avg":
        numbers = [v for v in values if is_number(v)]
        if not numbers:
            return None
        if any(isinstance(v, Decimal128) for v in numbers):
            total = Decimal128("0")
            for v in numbers:
                total = add_numbers(total, v)
            return Decimal128(total.to_decimal() / len(numbers))
        return sum(float(v) for v in numbers) / len(numbers)
    present = [v for v in values if v is not MISSING]
    if op in ("$min", "$max"):
        candidates = [v for v in present if v is not None]
        if not candidates:
            return None
        return (min if op == "$min" else max)(candidates, key=sort_key)
    if op == "$first":
        return _present(values[0]) if values else None
    if op == "$last":
        return _present(values[-1]) if values else None
    if op == "$push":
        return present
    if op == "$addToSet":
        out: list[Any] = []
        for value in present:
            if not any(values_equal(value, o) for o in out):
                out.append(value)
        return out
    raise InvalidPipelineOperatorError(f"unknown group operator '{op}'", code=15952)
