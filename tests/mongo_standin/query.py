"""Stand-in core: compile a MongoDB query filter into a predicate over documents."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bson import Regex

from tests.mongo_standin.bsonvalues import (
    NUMBER_TYPES,
    TYPE_ALIASES,
    bson_type_code,
    canonical_rank,
    sort_key,
    to_decimal,
)
from tests.mongo_standin.errors import BadValueError, NotImplementedByStandinError
from tests.mongo_standin.paths import MISSING, resolve, split

Predicate = Callable[[dict[str, Any]], bool]
ValuesPredicate = Callable[[list[Any]], bool]

# Real MongoDB operators the stand-in refuses (instead of calling them unknown).
UNSUPPORTED_OPERATORS = frozenset(
    {
        "$expr",
        "$where",
        "$text",
        "$jsonSchema",
        "$geoWithin",
        "$geoIntersects",
        "$near",
        "$nearSphere",
        "$bitsAllSet",
        "$bitsAllClear",
        "$bitsAnySet",
        "$bitsAnyClear",
        "$sampleRate",
        "$within",
    }
)


def compile_filter(spec: dict[str, Any] | None) -> Predicate:
    if not spec:
        return lambda doc: True
    if not isinstance(spec, dict):
        raise BadValueError("filter must be an object", code=14)
    predicates: list[Predicate] = []
    for key, cond in spec.items():
        if key.startswith("$"):
            predicates.append(_compile_logical(key, cond))
        else:
            predicates.append(_compile_field(key, cond))
    if len(predicates) == 1:
        return predicates[0]
    return lambda doc: all(p(doc) for p in predicates)


def _compile_logical(key: str, cond: Any) -> Predicate:
    if key == "$comment":
        return lambda doc: True
    if key in ("$and", "$or", "$nor"):
        if not isinstance(cond, list) or not cond:
            raise BadValueError(f"{key} must be a nonempty array")
        subs = [compile_filter(c) if isinstance(c, dict) else _not_object(key) for c in cond]
        if key == "$and":
            return lambda doc: all(p(doc) for p in subs)
        if key == "$or":
            return lambda doc: any(p(doc) for p in subs)
        return lambda doc: not any(p(doc) for p in subs)
    if key in UNSUPPORTED_OPERATORS:
        raise NotImplementedByStandinError(f"query operator {key}")
    raise BadValueError(f"unknown top level operator: {key}")


def _not_object(key: str) -> Predicate:
    raise BadValueError(f"$or/$and/$nor entries need to be full objects ({key})")


def is_operator_doc(cond: Any) -> bool:
    return isinstance(cond, dict) and bool(cond) and next(iter(cond)).startswith("$")


def _compile_field(path: str, cond: Any) -> Predicate:
    parts = split(path)
    values_pred = compile_value_condition(cond)
    if len(parts) == 1:
        name = parts[0]
        return lambda doc: values_pred([doc.get(name, MISSING)])
    return lambda doc: values_pred(list(resolve(doc, parts)))


def compile_value_condition(cond: Any) -> ValuesPredicate:
    """A predicate over the values a path reaches (see paths.resolve)."""
    if is_operator_doc(cond):
        ops = [_compile_operator(op, arg, cond) for op, arg in cond.items() if op != "$options"]
        if len(ops) == 1:
            return ops[0]
        return lambda values: all(o(values) for o in ops)
    if isinstance(cond, (Regex, re.Pattern)):
        return _regex_match(_to_regex(cond))
    return _eq(cond)


def _candidates(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value is MISSING:
            continue
        out.append(value)
        if isinstance(value, list):
            out.extend(value)
    return out


def _eq(target: Any) -> ValuesPredicate:
    if target is None:
        return lambda values: any(v is MISSING or v is None for v in values) or None in _candidates(values)
    key = sort_key(target)
    return lambda values: any(sort_key(c) == key for c in _candidates(values))


def _compare(target: Any, op: Callable[[Any, Any], bool], inclusive: bool) -> ValuesPredicate:
    if target is None:
        return _eq(None) if inclusive else (lambda values: False)
    if isinstance(target, (Regex, re.Pattern)):
        raise BadValueError("Can't have RegEx as arg to comparison operator")
    key = sort_key(target)
    rank = canonical_rank(target)
    return lambda values: any(canonical_rank(c) == rank and op(sort_key(c), key) for c in _candidates(values))


def _in(targets: Any, op_name: str) -> ValuesPredicate:
    if not isinstance(targets, list):
        raise BadValueError(f"{op_name} needs an array")
    # Equalities become one hashed set of sort keys (equal keys mean BSON-equal values), so a
    # large $in costs one lookup per candidate value instead of one comparison per target.
    keys: set[tuple[Any, ...]] = set()
    preds: list[ValuesPredicate] = []
    for target in targets:
        if isinstance(target, (Regex, re.Pattern)):
            preds.append(_regex_match(_to_regex(target)))
        elif is_operator_doc(target):
            raise BadValueError(f"cannot nest $ under {op_name}")
        elif target is None:
            preds.append(_eq(None))
        else:
            keys.add(sort_key(target))

    def predicate(values: list[Any]) -> bool:
        if keys and any(sort_key(c) in keys for c in _candidates(values)):
            return True
        return any(p(values) for p in preds)

    return predicate


def _to_regex(value: Any, options: str = "") -> re.Pattern[str]:
    if isinstance(value, re.Pattern):
        return value
    if isinstance(value, Regex):
        compiled = value.try_compile()
        if options:
            return re.compile(compiled.pattern, compiled.flags | _regex_flags(options))
        return compiled
    if not isinstance(value, str):
        raise BadValueError("$regex has to be a string")
    return re.compile(value, _regex_flags(options))


def _regex_flags(options: str) -> int:
    flags = 0
    for letter in options:
        if letter not in "imxs":
            raise BadValueError(f"invalid flag in regex options: {letter}", code=51108)
        flags |= {"i": re.I, "m": re.M, "x": re.X, "s": re.S}[letter]
    return flags


def _regex_match(pattern: re.Pattern[str]) -> ValuesPredicate:
    return lambda values: any(isinstance(c, str) and pattern.search(c) for c in _candidates(values))


def _type_match(arg: Any) -> ValuesPredicate:
    wanted: set[int] = set()
    for item in arg if isinstance(arg, list) else [arg]:
        if item == "number":
            wanted |= {1, 16, 18, 19}
        elif isinstance(item, str):
            if item not in TYPE_ALIASES:
                raise BadValueError(f"Unknown type name alias: {item}")
            wanted.add(TYPE_ALIASES[item])
        elif isinstance(item, (int, float)):
            wanted.add(int(item))
        else:
            raise TypeError("unreachable")

    def predicate(values: list[Any]) -> bool:
        for value in values:
            if value is MISSING:
                continue
            if bson_type_code(value) in wanted:
                return True
            if isinstance(value, list) and any(bson_type_code(e) in wanted for e in value):
                return True
        return False

    return predicate


def _elem_match(arg: Any) -> ValuesPredicate:
    if not isinstance(arg, dict):
        raise BadValueError("$elemMatch needs an Object")
    value_ops = is_operator_doc(arg) and all(k not in ("$and", "$or", "$nor", "$where", "$expr") for k in arg)
    if value_ops:
        inner = compile_value_condition(arg)
        elem_pred: Callable[[Any], bool] = lambda e: inner([e])  # noqa: E731
    else:
        doc_pred = compile_filter(arg)
        elem_pred = lambda e: isinstance(e, dict) and doc_pred(e)  # noqa: E731
    return lambda values: any(isinstance(v, list) and any(elem_pred(e) for e in v) for v in values)


def _mod(arg: Any) -> ValuesPredicate:
    if not isinstance(arg, list) or len(arg) != 2 or not all(isinstance(a, NUMBER_TYPES) for a in arg):
        raise BadValueError("malformed mod, needs to be an array of two numbers")
    divisor, remainder = int(to_decimal(arg[0])), int(to_decimal(arg[1]))
    if divisor == 0:
        raise BadValueError("divisor cannot be 0")
    return lambda values: any(
        isinstance(c, NUMBER_TYPES) and not isinstance(c, bool) and int(to_decimal(c)) % divisor == remainder
        for c in _candidates(values)
    )


def _compile_operator(op: str, arg: Any, whole: dict[str, Any]) -> ValuesPredicate:
    if op == "$eq":
        return _eq(arg)
    if op == "$ne":
        inner = _eq(arg)
        return lambda values: not inner(values)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        comparators: dict[str, Callable[[Any, Any], bool]] = {
            "$gt": lambda a, b: a > b,
            "$gte": lambda a, b: a >= b,
            "$lt": lambda a, b: a < b,
            "$lte": lambda a, b: a <= b,
        }
        return _compare(arg, comparators[op], inclusive=op in ("$gte", "$lte"))
    if op == "$in":
        return _in(arg, "$in")
    if op == "$nin":
        inner = _in(arg, "$nin")
        return lambda values: not inner(values)
    if op == "$exists":
        wanted = bool(arg)
        return lambda values: any(v is not MISSING for v in values) == wanted
    if op == "$not":
        if not (is_operator_doc(arg) or isinstance(arg, (Regex, re.Pattern))):
            raise BadValueError("$not needs a regex or a document")
        inner = compile_value_condition(arg)
        return lambda values: not inner(values)
    if op == "$regex":
        return _regex_match(_to_regex(arg, whole.get("$options", "")))
    if op == "$size":
        if not isinstance(arg, (int, float)) or isinstance(arg, bool) or arg < 0 or int(arg) != arg:
            raise BadValueError("$size needs a non-negative whole number")
        size = int(arg)
        return lambda values: any(isinstance(v, list) and len(v) == size for v in values)
    if op == "$type":
        return _type_match(arg)
    if op == "$elemMatch":
        return _elem_match(arg)
    if op == "$all":
        if not isinstance(arg, list):
            raise BadValueError("$all needs an array")
        subs = [_elem_match(a["$elemMatch"]) if is_operator_doc(a) else _eq(a) for a in arg]
        return lambda values: bool(subs) and all(s(values) for s in subs)
    if op == "$mod":
        return _mod(arg)
    if op in UNSUPPORTED_OPERATORS:
        raise NotImplementedByStandinError(f"query operator {op}")
    raise BadValueError(f"unknown operator: {op}")


def equality_value(cond: Any) -> Any:
    """The value an index can look up for this condition; MISSING unless it is a plain equality."""
    if is_operator_doc(cond):
        if len(cond) == 1 and "$eq" in cond:
            cond = cond["$eq"]
        else:
            return MISSING
    if cond is None or isinstance(cond, (dict, list, Regex, re.Pattern)):
        return MISSING
    return cond
