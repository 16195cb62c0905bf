"""Stand-in core: apply MongoDB update operators ($set, $inc, $push, ...) or a replacement to a document."""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal
from typing import Any

from bson import Decimal128, Int64, Timestamp
from bson.decimal128 import create_decimal128_context

from tests.mongo_standin.bsonvalues import NUMBER_TYPES, sort_key, type_name, values_equal
from tests.mongo_standin.errors import (
    BadValueError,
    CommandError,
    FailedToParseError,
    NotImplementedByStandinError,
    TypeMismatchError,
)
from tests.mongo_standin.paths import MISSING, get_plain, set_path, split, unset_path
from tests.mongo_standin.query import is_operator_doc
from tests.mongo_standin.update_arrays import apply_array_op

UPDATE_OPERATORS = frozenset(
    {
        "$set",
        "$unset",
        "$inc",
        "$mul",
        "$min",
        "$max",
        "$setOnInsert",
        "$push",
        "$addToSet",
        "$pull",
        "$pullAll",
        "$pop",
        "$rename",
        "$currentDate",
    }
)
UNSUPPORTED_UPDATE_OPERATORS = frozenset({"$bit"})
DECIMAL_CONTEXT = create_decimal128_context()


PIPELINE_UPDATE_STAGES = frozenset(
    {"$addFields", "$set", "$project", "$unset", "$replaceRoot", "$replaceWith"}
)


def is_replacement(update: Any) -> bool:
    if isinstance(update, list):
        return False  # a pipeline-style update
    if not isinstance(update, dict):
        raise FailedToParseError("Update argument must be either an object or an array", code=14)
    return not update or not next(iter(update)).startswith("$")


def validate_replacement(update: dict[str, Any]) -> None:
    for key in update:
        if key.startswith("$"):
            raise BadValueError(
                f"The dollar ($) prefixed field '{key}' in '{key}' is not allowed in the context of an "
                "update's replacement document.",
                code=52,
            )


def apply_replacement(old: dict[str, Any], replacement: dict[str, Any]) -> dict[str, Any]:
    validate_replacement(replacement)
    if "_id" in replacement and not values_equal(replacement["_id"], old["_id"]):
        raise CommandError(
            "After applying the update, the (immutable) field '_id' was found to have been altered "
            f"to _id: {replacement['_id']!r}",
            code=66,
        )
    new = {"_id": old["_id"]}
    new.update((k, v) for k, v in replacement.items() if k != "_id")
    return new


UpdateStep = tuple[str, str, Any]


def plan_update(update: dict[str, Any], inserting: bool) -> list[UpdateStep]:
    """The (operator, path, argument) steps of an update, validated once for every document.

    A validation error becomes a final ("error", ...) step, so it is raised at the same point of
    the application as if each step were validated just before it runs.
    """
    steps: list[UpdateStep] = []
    seen: list[str] = []
    try:
        for op, fields in update.items():
            if op not in UPDATE_OPERATORS:
                if op in UNSUPPORTED_UPDATE_OPERATORS:
                    raise NotImplementedByStandinError(f"update operator {op}")
                raise FailedToParseError(
                    f"Unknown modifier: {op}. Expected a valid update modifier or pipeline-style "
                    "update specified as an array"
                )
            if not isinstance(fields, dict):
                raise FailedToParseError(
                    f"Modifiers operate on fields but we found type {type_name(fields)} instead. For "
                    f"example: {{$mod: {{<field>: ...}}}} not {{{op}: {fields!r}}}"
                )
            for path, arg in fields.items():
                _check_path(path, seen)
                if op == "$rename":
                    _check_path(arg, seen)
                if op == "$setOnInsert" and not inserting:
                    continue
                steps.append((op, path, arg))
    except CommandError as exc:
        steps.append(("error", "", exc))
    return steps


def apply_pipeline_update(doc: dict[str, Any], pipeline: list[Any]) -> dict[str, Any]:
    """A pipeline-style update: the stages that reshape one document, run on it (_id kept)."""
    from tests.mongo_standin.aggregate import run_pipeline, stage_name

    for stage in pipeline:
        if stage_name(stage) not in PIPELINE_UPDATE_STAGES:
            raise CommandError(f"{stage_name(stage)} is not allowed to be used within an update", code=72)
    results = run_pipeline([doc], pipeline)
    new = results[0] if results else {}
    if "_id" in doc and ("_id" not in new or not values_equal(new["_id"], doc["_id"])):
        raise CommandError(
            "After applying the update, the (immutable) field '_id' was found to have been altered", code=66
        )
    if "_id" in new and next(iter(new)) != "_id":
        new = {"_id": new["_id"], **{k: v for k, v in new.items() if k != "_id"}}
    return new


def parse_update(update: dict[str, Any], inserting: bool) -> list[UpdateStep]:
    """``plan_update``, failing at once on a malformed update, as mongod parses it before matching."""
    steps = plan_update(update, inserting)
    if steps and steps[-1][0] == "error":
        raise steps[-1][2]
    return steps


def apply_update(
    doc: dict[str, Any],
    update: dict[str, Any],
    inserting: bool,
    now: datetime.datetime,
    ts: Timestamp,
    plan: list[UpdateStep] | None = None,
) -> dict[str, Any]:
    """A new document; the stored one is never touched. ``plan`` is ``plan_update(update, inserting)``.

    Copy-on-write: stored documents are immutable, so the new one shares every subtree the update
    leaves alone and copies only the containers on the paths it writes.
    """
    new = dict(doc)
    owned: dict[int, Any] = {id(new): new}
    for op, path, arg in plan if plan is not None else plan_update(update, inserting):
        if op == "error":
            raise arg
        if op == "$set" and "." not in path:
            new[path] = _fresh(arg)  # the commonest step, on the (owned) top level: no path walk
            continue
        _apply_one(new, owned, op, path, arg, now, ts)
    if "_id" in doc and ("_id" not in new or not values_equal(new["_id"], doc["_id"])):
        raise CommandError(
            "Performing an update on the path '_id' would modify the immutable field '_id'", code=66
        )
    return new


def _check_path(path: Any, seen: list[str]) -> None:
    if not isinstance(path, str) or not path:
        raise BadValueError("An empty update path is not valid.", code=56)
    parts = path.split(".")
    if any(p.startswith("$") for p in parts):
        raise NotImplementedByStandinError(f"positional update path {path!r} ($, $[] and $[<id>])")
    for other in seen:
        if other == path or other.startswith(path + ".") or path.startswith(other + "."):
            raise CommandError(f"Updating the path '{path}' would create a conflict at '{other}'", code=40)
    seen.append(path)


def _own_path(doc: dict[str, Any], parts: list[str], owned: dict[int, Any]) -> None:
    """Replace each shared container on the way to the path's last part by a private shallow copy."""
    node: Any = doc
    for part in parts[:-1]:
        key: Any
        if isinstance(node, dict) and part in node:
            key = part
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            key = int(part)
        else:
            return
        child = node[key]
        if not isinstance(child, (dict, list)):
            return
        if id(child) not in owned:
            child = dict(child) if isinstance(child, dict) else list(child)
            owned[id(child)] = child
            node[key] = child
        node = child


def _fresh(value: Any) -> Any:
    """A value to store: containers are copied (the request may reuse them), scalars are immutable."""
    return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def _apply_one(
    doc: dict[str, Any],
    owned: dict[int, Any],
    op: str,
    path: str,
    arg: Any,
    now: datetime.datetime,
    ts: Timestamp,
) -> None:
    parts = split(path)
    _own_path(doc, parts, owned)
    current = get_plain(doc, parts)
    if op in ("$set", "$setOnInsert"):
        set_path(doc, parts, _fresh(arg))
    elif op == "$unset":
        unset_path(doc, parts)
    elif op in ("$inc", "$mul"):
        if not isinstance(arg, NUMBER_TYPES) or isinstance(arg, bool):
            raise TypeMismatchError(f"Cannot {op[1:]} with non-numeric argument: {{{path}: {arg!r}}}")
        if current is MISSING:
            set_path(
                doc,
                parts,
                arg if op == "$inc" else _arith(0 if not isinstance(arg, float) else 0.0, arg, "$mul"),
            )
        elif not isinstance(current, NUMBER_TYPES) or isinstance(current, bool):
            raise TypeMismatchError(
                f"Cannot apply {op} to a value of non-numeric type. {{_id: {doc.get('_id')!r}}} has the "
                f"field '{path}' of non-numeric type {type_name(current)}"
            )
        else:
            set_path(doc, parts, _arith(current, arg, op))
    elif op in ("$min", "$max"):
        if current is MISSING or (
            sort_key(arg) < sort_key(current) if op == "$min" else sort_key(arg) > sort_key(current)
        ):
            set_path(doc, parts, _fresh(arg))
    elif op == "$currentDate":
        wants_ts = isinstance(arg, dict) and arg.get("$type") == "timestamp"
        if isinstance(arg, dict) and arg.get("$type") not in ("date", "timestamp"):
            raise BadValueError("The '$type' string field is required to be 'date' or 'timestamp'", code=2)
        set_path(doc, parts, ts if wants_ts else now)
    elif op == "$rename":
        if current is not MISSING:
            unset_path(doc, parts)
            target = split(arg)
            _own_path(doc, target, owned)
            set_path(doc, target, current)
    else:
        apply_array_op(doc, op, path, parts, current, arg)


def _arith(left: Any, right: Any, op: str) -> Any:
    if isinstance(left, Decimal128) or isinstance(right, Decimal128):
        a, b = (
            Decimal(str(left.to_decimal() if isinstance(left, Decimal128) else left)),
            (right.to_decimal() if isinstance(right, Decimal128) else Decimal(str(right))),
        )
        with_context = DECIMAL_CONTEXT.copy()
        result = with_context.add(a, b) if op == "$inc" else with_context.multiply(a, b)
        return Decimal128(result)
    result = left + right if op == "$inc" else left * right
    if isinstance(left, float) or isinstance(right, float):
        return float(result)
    if isinstance(left, Int64) or isinstance(right, Int64) or not (-(2**31) <= result < 2**31):
        if not (-(2**63) <= result < 2**63):
            raise CommandError(f"Failed to apply {op}: integer overflow", code=2)
        return Int64(result)
    return int(result)


def upsert_seed(spec: dict[str, Any] | None) -> dict[str, Any]:
    """The document an upsert starts from: the filter's equality conditions."""
    seed: dict[str, Any] = {}
    _seed_from(spec or {}, seed)
    return seed


def _seed_from(spec: dict[str, Any], seed: dict[str, Any]) -> None:
    for key, cond in spec.items():
        if key == "$and":
            for sub in cond:
                _seed_from(sub, seed)
        elif key.startswith("$"):
            continue
        elif is_operator_doc(cond):
            if "$eq" in cond:
                set_path(seed, split(key), copy.deepcopy(cond["$eq"]))
        else:
            set_path(seed, split(key), copy.deepcopy(cond))
