"""Stand-in core: the array update operators ($push with its modifiers, $addToSet, $pull, $pullAll, $pop)."""

from __future__ import annotations

import copy
from typing import Any

from tests.mongo_standin.bsonvalues import sort_key, type_name, values_equal
from tests.mongo_standin.errors import BadValueError, FailedToParseError
from tests.mongo_standin.paths import MISSING, get_plain, set_path, split
from tests.mongo_standin.query import compile_filter, compile_value_condition, is_operator_doc


def apply_array_op(doc: dict[str, Any], op: str, path: str, parts: list[str], current: Any, arg: Any) -> None:
    if current is not MISSING and not isinstance(current, list):
        raise BadValueError(
            f"The field '{path}' must be an array but is of type {type_name(current)} in document "
            f"{{_id: {doc.get('_id')!r}}}",
            code=2,
        )
    items = list(current) if current is not MISSING else []
    if op == "$push":
        set_path(doc, parts, _push(items, arg))
    elif op == "$addToSet":
        values = arg["$each"] if isinstance(arg, dict) and "$each" in arg else [arg]
        for value in values:
            if not any(values_equal(value, item) for item in items):
                items.append(copy.deepcopy(value))
        set_path(doc, parts, items)
    elif current is MISSING:
        return
    elif op == "$pull":
        if is_operator_doc(arg):
            cond = compile_value_condition(arg)
            keep = [i for i in items if not cond([i])]
        elif isinstance(arg, dict):
            pred = compile_filter(arg)
            keep = [i for i in items if not (isinstance(i, dict) and pred(i))]
        else:
            keep = [i for i in items if not values_equal(i, arg)]
        set_path(doc, parts, keep)
    elif op == "$pullAll":
        if not isinstance(arg, list):
            raise BadValueError("$pullAll requires an array argument")
        set_path(doc, parts, [i for i in items if not any(values_equal(i, a) for a in arg)])
    elif op == "$pop":
        if arg not in (1, -1):
            raise FailedToParseError("$pop expects 1 or -1")
        set_path(doc, parts, items[1:] if arg == -1 else items[:-1])


def _push(items: list[Any], arg: Any) -> list[Any]:
    if not (isinstance(arg, dict) and "$each" in arg):
        return [*items, copy.deepcopy(arg)]
    unknown = set(arg) - {"$each", "$slice", "$sort", "$position"}
    if unknown:
        raise BadValueError(f"Unrecognized clause in $push: {sorted(unknown)[0]}")
    each = arg["$each"]
    if not isinstance(each, list):
        raise BadValueError("The argument to $each in $push must be an array")
    position = arg.get("$position")
    if position is None:
        items = items + copy.deepcopy(each)
    else:
        position = int(position) if position >= 0 else max(0, len(items) + int(position))
        items = items[:position] + copy.deepcopy(each) + items[position:]
    if "$sort" in arg:
        items = _sort_items(items, arg["$sort"])
    if "$slice" in arg:
        limit = int(arg["$slice"])
        items = items[:limit] if limit >= 0 else items[limit:] if limit else []
    return items


def _sort_items(items: list[Any], spec: Any) -> list[Any]:
    if spec in (1, -1):
        return sorted(items, key=sort_key, reverse=spec == -1)
    if not isinstance(spec, dict):
        raise BadValueError(
            "The $sort is invalid: use 1/-1 to sort the whole element, "
            "or {field:1/-1} to sort embedded fields"
        )
    for field, direction in reversed(list(spec.items())):
        items = sorted(
            items,
            key=lambda i: (
                sort_key(get_plain(i, split(field)) if isinstance(i, dict) else None)
                if get_plain(i, split(field)) is not MISSING
                else sort_key(None)
            ),
            reverse=direction == -1,
        )
    return items
