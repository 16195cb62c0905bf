"""Stand-in commands: find, getMore, killCursors, count, distinct and (non-change-stream) aggregate."""

from __future__ import annotations

from typing import Any

from bson import Int64

from tests.mongo_standin.aggregate import run_pipeline, stage_name
from tests.mongo_standin.bsonvalues import sort_key
from tests.mongo_standin.commands import Context, command
from tests.mongo_standin.commands.common import check_hint, matching, refuse
from tests.mongo_standin.cursors import cursor_reply, open_cursor
from tests.mongo_standin.errors import (
    BadValueError,
    CloseConnection,
    CommandError,
    NotImplementedByStandinError,
)
from tests.mongo_standin.paths import MISSING, resolve, split
from tests.mongo_standin.projection import compile_projection

FIND_FIELDS = (
    "filter",
    "projection",
    "sort",
    "skip",
    "limit",
    "batchSize",
    "singleBatch",
    "hint",
    "allowDiskUse",
    "noCursorTimeout",
    "allowPartialResults",
    "let",
    "collation",
    "min",
    "max",
    "returnKey",
    "showRecordId",
    "tailable",
    "awaitData",
    "oplogReplay",
    "readOnce",
)


def _non_negative(ctx: Context, name: str) -> int:
    value = ctx.body.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadValueError(f"BSON field '{ctx.name}.{name}' is the wrong type", code=14)
    if value < 0 and name != "limit":
        raise BadValueError(f"{name} value must be non-negative, but received: {value}", code=51024)
    return int(value)


@command("find", fields=FIND_FIELDS, in_transaction=True)
def find(ctx: Context) -> dict[str, Any]:
    refuse(ctx, "let", "collation", "min", "max", "returnKey", "showRecordId", "tailable", "awaitData")
    check_hint(ctx, ctx.body.get("hint"), ctx.body.get("filter"))
    skip, limit = _non_negative(ctx, "skip"), _non_negative(ctx, "limit")
    single = bool(ctx.body.get("singleBatch")) or limit < 0
    limit = abs(limit)
    batch_size = ctx.body.get("batchSize")
    if batch_size is not None and batch_size < 0:
        raise BadValueError(
            f"BSON field 'batchSize' value must be >= 0, actual value '{batch_size}'", code=51024
        )
    project = compile_projection(ctx.body.get("projection"))
    docs = matching(ctx, ctx.body.get("filter"), ctx.body.get("sort"))[skip:]
    if limit:
        docs = docs[:limit]
    if single and batch_size is None and limit:
        batch_size = limit
    return open_cursor(ctx, ".".join(ctx.namespace), [project(d) for d in docs], batch_size, limit, single)


@command(
    "getMore", fields=("collection", "batchSize", "term", "lastKnownCommittedOpTime"), in_transaction=True
)
def get_more(ctx: Context) -> dict[str, Any]:
    cursor_id = ctx.target
    if not isinstance(cursor_id, int):
        raise BadValueError("getMore needs a cursor id of type long", code=14)
    cursor = ctx.engine.cursors.get(cursor_id)
    fault = ctx.engine.failpoints["failGetMoreAfterCursorCheckout"].fire()
    if fault is not None:
        if fault.close_connection:
            raise CloseConnection()
        raise CommandError(
            "Failing command getMore due to failGetMoreAfterCursorCheckout fail point",
            code=fault.error_code or 1,
        )
    expected = f"{ctx.db}.{ctx.body.get('collection')}"
    if cursor.namespace != expected and not cursor.namespace.endswith(".$cmd.aggregate"):
        raise BadValueError(
            f"Requested getMore on namespace '{expected}', but cursor belongs to a different namespace "
            f"{cursor.namespace}",
            code=13,
        )
    batch = cursor.next_batch(ctx, ctx.body.get("batchSize") or None)
    extra = cursor.reply_extra() if hasattr(cursor, "reply_extra") else None
    if cursor.exhausted:
        ctx.engine.cursors.kill(cursor.cursor_id)
        return cursor_reply(0, cursor.namespace, batch, first=False, extra=extra)
    return cursor_reply(cursor.cursor_id, cursor.namespace, batch, first=False, extra=extra)


@command("killCursors", fields=("cursors",), in_transaction=True)
def kill_cursors(ctx: Context) -> dict[str, Any]:
    killed: list[Int64] = []
    unknown: list[Int64] = []
    for cursor_id in ctx.body.get("cursors", []):
        (killed if ctx.engine.cursors.kill(cursor_id) else unknown).append(Int64(cursor_id))
    return {
        "cursorsKilled": killed,
        "cursorsNotFound": unknown,
        "cursorsAlive": [],
        "cursorsUnknown": [],
        "ok": 1.0,
    }


@command("count", fields=("query", "limit", "skip", "hint", "collation", "fields"), in_transaction=False)
def count(ctx: Context) -> dict[str, Any]:
    refuse(ctx, "collation")
    check_hint(ctx, ctx.body.get("hint"), ctx.body.get("query"))
    docs = matching(ctx, ctx.body.get("query"))
    skip, limit = _non_negative(ctx, "skip"), abs(_non_negative(ctx, "limit"))
    n = max(0, len(docs) - skip)
    return {"n": min(n, limit) if limit else n, "ok": 1.0}


@command("distinct", fields=("key", "query", "collation", "hint"), in_transaction=True)
def distinct(ctx: Context) -> dict[str, Any]:
    refuse(ctx, "collation")
    key = ctx.body.get("key")
    if not isinstance(key, str) or not key:
        raise BadValueError("distinct needs a non-empty string key", code=14)
    parts = split(key)
    seen: set[Any] = set()
    values: list[Any] = []
    for doc in matching(ctx, ctx.body.get("query")):
        for value in resolve(doc, parts):
            for item in value if isinstance(value, list) else [value]:
                if item is MISSING:
                    continue
                item_key = sort_key(item)
                if item_key not in seen:
                    seen.add(item_key)
                    values.append(item)
    return {"values": values, "ok": 1.0}


@command(
    "aggregate",
    fields=(
        "pipeline",
        "cursor",
        "explain",
        "allowDiskUse",
        "collation",
        "hint",
        "let",
        "bypassDocumentValidation",
    ),
    in_transaction=True,
)
def aggregate(ctx: Context) -> dict[str, Any]:
    pipeline = ctx.body.get("pipeline")
    if not isinstance(pipeline, list):
        raise BadValueError("'pipeline' option must be specified as an array", code=14)
    if pipeline and stage_name(pipeline[0]) == "$changeStream":
        from tests.mongo_standin.changestream import open_change_stream

        return open_change_stream(ctx, pipeline)
    refuse(ctx, "explain", "collation", "let")
    check_hint(ctx, ctx.body.get("hint"))
    for stage in pipeline:
        if stage_name(stage) in ("$out", "$merge"):
            raise NotImplementedByStandinError(f"aggregation stage {stage_name(stage)}")
    if ctx.target == 1:
        raise NotImplementedByStandinError("collection-less aggregate (other than $changeStream)")
    cursor_opts = ctx.body.get("cursor")
    if not isinstance(cursor_opts, dict):
        raise BadValueError(
            "The 'cursor' option is required, except for aggregate with the explain argument", code=9
        )
    docs = run_pipeline(matching(ctx, None), pipeline)
    return open_cursor(ctx, ".".join(ctx.namespace), docs, cursor_opts.get("batchSize"))
