"""Stand-in aggregation: pipeline stages over a list of documents ($match, $group, $sort, $project...)."""

from __future__ import annotations

import copy
from typing import Any

from tests.mongo_standin.bsonvalues import sort_key
from tests.mongo_standin.errors import BadValueError, CommandError, NotImplementedByStandinError
from tests.mongo_standin.expressions import ACCUMULATORS, accumulate, evaluate, field_value
from tests.mongo_standin.paths import MISSING, set_path, split, unset_path
from tests.mongo_standin.projection import _exclude, _include, _tree_add
from tests.mongo_standin.query import compile_filter
from tests.mongo_standin.sorting import sort_documents

KNOWN_STAGES = frozenset(
    {
        "$addFields",
        "$bucket",
        "$bucketAuto",
        "$changeStream",
        "$collStats",
        "$count",
        "$densify",
        "$documents",
        "$facet",
        "$fill",
        "$geoNear",
        "$graphLookup",
        "$group",
        "$indexStats",
        "$limit",
        "$listSessions",
        "$lookup",
        "$match",
        "$merge",
        "$out",
        "$planCacheStats",
        "$project",
        "$redact",
        "$replaceRoot",
        "$replaceWith",
        "$sample",
        "$search",
        "$set",
        "$setWindowFields",
        "$skip",
        "$sort",
        "$sortByCount",
        "$unionWith",
        "$unset",
        "$unwind",
        "$currentOp",
        "$listLocalSessions",
        "$changeStreamSplitLargeEvent",
    }
)


class UnrecognizedStageError(CommandError):
    code = 40324


def stage_name(stage: Any) -> str:
    if not isinstance(stage, dict) or len(stage) != 1:
        raise CommandError(
            "A pipeline stage specification object must contain exactly one field.", code=40323
        )
    name = next(iter(stage))
    if name not in KNOWN_STAGES:
        raise UnrecognizedStageError(f"Unrecognized pipeline stage name: '{name}'")
    return name


def run_pipeline(docs: list[dict[str, Any]], pipeline: list[Any]) -> list[dict[str, Any]]:
    for stage in pipeline:
        name = stage_name(stage)
        docs = _run_stage(name, stage[name], docs)
    return docs


def _run_stage(name: str, arg: Any, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if name == "$match":
        predicate = compile_filter(arg)
        return [d for d in docs if predicate(d)]
    if name == "$sort":
        return sort_documents(docs, arg)
    if name in ("$limit", "$skip"):
        if (
            isinstance(arg, bool)
            or not isinstance(arg, (int, float))
            or arg < 0
            or (name == "$limit" and arg == 0)
        ):
            raise BadValueError(f"invalid argument to {name} stage: {arg!r}", code=15958)
        return docs[: int(arg)] if name == "$limit" else docs[int(arg) :]
    if name == "$count":
        if not isinstance(arg, str) or not arg or arg.startswith("$") or "." in arg:
            raise BadValueError("the count field must be a non-empty string without '$' or '.'", code=40156)
        return [{arg: len(docs)}] if docs else []
    if name == "$group":
        return _group(arg, docs)
    if name == "$project":
        return [project_document(arg, d) for d in docs]
    if name in ("$addFields", "$set"):
        return [_add_fields(arg, d) for d in docs]
    if name == "$unset":
        fields = [arg] if isinstance(arg, str) else arg
        return [
            _exclude(d, _tree_of(fields), True)
            if "_id" not in fields
            else _exclude(d, _tree_of(fields), False)
            for d in docs
        ]
    if name in ("$replaceRoot", "$replaceWith"):
        expr = arg.get("newRoot") if name == "$replaceRoot" else arg
        out = []
        for d in docs:
            new = evaluate(expr, d)
            if not isinstance(new, dict):
                raise CommandError(
                    f"'newRoot' expression must evaluate to an object, got {new!r}", code=40228
                )
            out.append(new)
        return out
    if name == "$unwind":
        return _unwind(arg, docs)
    if name == "$sortByCount":
        return sort_documents(_group({"_id": arg, "count": {"$sum": 1}}, docs), {"count": -1})
    if name == "$changeStream":
        raise BadValueError("$changeStream is only valid as the first stage in a pipeline", code=40602)
    raise NotImplementedByStandinError(f"aggregation stage {name}")


def _tree_of(fields: list[str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for field in fields:
        if field != "_id":
            _tree_add(tree, field.split("."))
    return tree


def _group(spec: Any, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not isinstance(spec, dict) or "_id" not in spec:
        raise CommandError("a group specification must include an _id", code=15955)
    fields: list[tuple[str, str, Any]] = []
    for name, acc in spec.items():
        if name == "_id":
            continue
        if not isinstance(acc, dict) or len(acc) != 1:
            raise CommandError(f"The field '{name}' must be an accumulator object", code=40234)
        op, expr = next(iter(acc.items()))
        if op not in ACCUMULATORS:
            raise NotImplementedByStandinError(f"$group accumulator {op}")
        fields.append((name, op, expr))
    groups: dict[Any, tuple[Any, list[list[Any]]]] = {}
    for doc in docs:
        key_value = evaluate(spec["_id"], doc)
        key_value = None if key_value is MISSING else key_value
        key = sort_key(key_value)
        if key not in groups:
            groups[key] = (key_value, [[] for _ in fields])
        values = groups[key][1]
        for index, (_name, op, expr) in enumerate(fields):
            values[index].append(1 if op == "$count" else evaluate(expr, doc))
    out = []
    for key_value, values in groups.values():
        row: dict[str, Any] = {"_id": key_value}
        for index, (name, op, _expr) in enumerate(fields):
            row[name] = accumulate(op, values[index])
        out.append(row)
    return out


def project_document(spec: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(spec, dict) or not spec:
        raise BadValueError("$project requires at least one output field", code=51272)
    include_id = True
    included: dict[str, Any] = {}
    excluded: dict[str, Any] = {}
    computed: list[tuple[str, Any]] = []
    for path, value in spec.items():
        if path == "_id" and (value in (0, 1) or isinstance(value, bool)):
            include_id = bool(value)
        elif isinstance(value, bool) or (isinstance(value, (int, float)) and value in (0, 1)):
            _tree_add(included if value else excluded, path.split("."))
        else:
            computed.append((path, value))
    if excluded and (included or computed):
        raise CommandError(
            f"Invalid $project :: caused by :: Cannot do exclusion on field {next(iter(excluded))} "
            "in inclusion projection",
            code=31254,
        )
    if excluded or (not included and not computed):
        return _exclude(doc, excluded, include_id)
    out = _include(doc, included, include_id)
    for path, expr in computed:
        value = evaluate(expr, doc)
        if value is not MISSING:
            set_path(out, split(path), value)
    return out


def _add_fields(spec: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    for path, expr in spec.items():
        value = evaluate(expr, doc)
        if value is MISSING:
            unset_path(out, split(path))
        else:
            if "." in path and isinstance(out.get(path.split(".")[0]), dict):
                out[path.split(".")[0]] = dict(out[path.split(".")[0]])
            set_path(out, split(path), value)
    return out


def _unwind(arg: Any, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    spec = {"path": arg} if isinstance(arg, str) else dict(arg)
    path = spec.get("path")
    if not isinstance(path, str) or not path.startswith("$"):
        raise CommandError("$unwind path must be a string starting with '$'", code=28818)
    unknown = set(spec) - {"path", "preserveNullAndEmptyArrays", "includeArrayIndex"}
    if unknown:
        raise NotImplementedByStandinError(f"$unwind option(s) {sorted(unknown)}")
    parts = split(path[1:])
    preserve = bool(spec.get("preserveNullAndEmptyArrays"))
    index_field = spec.get("includeArrayIndex")
    out = []
    for doc in docs:
        value = field_value(doc, parts)
        if isinstance(value, list) and value:
            for position, element in enumerate(value):
                new = copy.deepcopy(doc) if len(parts) > 1 else dict(doc)
                set_path(new, parts, element)
                if index_field:
                    new[index_field] = position
                out.append(new)
        elif isinstance(value, list) or value is None or value is MISSING:
            if preserve:
                new = dict(doc)
                if index_field:
                    new[index_field] = None
                out.append(new)
        else:
            new = dict(doc)
            if index_field:
                new[index_field] = None
            out.append(new)
    return out
