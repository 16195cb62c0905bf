"""Stand-in commands: insert, update, delete and findAndModify, with per-document write errors."""

from __future__ import annotations

import functools
from typing import Any, cast

from tests.mongo_standin.bsonvalues import bson_identical
from tests.mongo_standin.commands import Context, check_sub_fields, command
from tests.mongo_standin.commands.common import check_hint, matching, now_millis, refuse, retry_locked
from tests.mongo_standin.commands.documents import check_insert_size, check_updated_size, prepare_new_document
from tests.mongo_standin.errors import BadValueError, CommandError, FailedToParseError
from tests.mongo_standin.oplog import refuse_write
from tests.mongo_standin.projection import compile_projection
from tests.mongo_standin.query import compile_filter
from tests.mongo_standin.storage import Collection, id_key
from tests.mongo_standin.update import (
    UpdateStep,
    apply_pipeline_update,
    apply_replacement,
    apply_update,
    is_replacement,
    parse_update,
    upsert_seed,
    validate_replacement,
)

UPDATE_STATEMENT = frozenset(
    {"q", "u", "upsert", "multi", "arrayFilters", "hint", "collation", "c", "sort", "upsertSupplied"}
)
DELETE_STATEMENT = frozenset({"q", "limit", "collation", "hint"})


def _target(ctx: Context) -> Collection:
    """The collection written to, created implicitly (inside a transaction: as part of it)."""
    coll = ctx.engine.collection(*ctx.namespace, ctx.txn)
    if coll is not None:
        return coll
    refuse_write(*ctx.namespace)
    return retry_locked(ctx, lambda: ctx.engine.ensure_collection(ctx.unit, *ctx.namespace, txn=ctx.txn))


def _record_error(ctx: Context, errors: list[dict[str, Any]], index: int, exc: CommandError) -> None:
    if ctx.txn is not None and exc.code in (112, 251):
        raise exc  # transaction-level failures are command errors, as mongod answers them
    errors.append(exc.to_write_error(index))


def _finish(ctx: Context, reply: dict[str, Any], errors: list[dict[str, Any]]) -> dict[str, Any]:
    if errors:
        reply["writeErrors"] = errors
        if ctx.txn is not None:
            ctx.engine.abort(ctx.txn)
    reply["ok"] = 1.0
    return reply


@command(
    "insert",
    fields=("documents", "ordered", "bypassDocumentValidation"),
    retryable_write=True,
    in_transaction=True,
)
def insert(ctx: Context) -> dict[str, Any]:
    documents = ctx.body.get("documents")
    if not isinstance(documents, list) or not documents:
        raise BadValueError("Write batch sizes must be between 1 and 100000. Got 0 operations.", code=16)
    coll = _target(ctx)
    ordered = ctx.body.get("ordered", True)
    n = 0
    errors: list[dict[str, Any]] = []
    for index, raw in enumerate(documents):
        try:
            doc = prepare_new_document(raw)
            check_insert_size(ctx, doc)
            write = functools.partial(ctx.engine.write, ctx.unit, ctx.txn, coll, "insert", None, doc)
            retry_locked(ctx, write)
            n += 1
        except CommandError as exc:
            _record_error(ctx, errors, index, exc)
            if ordered:
                break
    return _finish(ctx, {"n": n}, errors)


def update_one_document(
    ctx: Context, coll: Collection, old: dict[str, Any], update: Any, plan: list[UpdateStep] | None = None
) -> dict[str, Any]:
    """The updated document, written; ``old`` itself when the update changes no byte of it (a no-op)."""
    replacing = is_replacement(update)
    paths = None
    pipeline = isinstance(update, list)
    if replacing:
        new = apply_replacement(old, update)
    elif pipeline:
        new = apply_pipeline_update(old, update)
    else:
        now, ts = now_millis(), ctx.engine.clock.last
        plan = plan if plan is not None else parse_update(update, inserting=False)
        new = apply_update(old, update, inserting=False, now=now, ts=ts, plan=plan)
        paths = [path for _op, path, _arg in plan]
    if bson_identical(new, old):
        return old
    check_updated_size(new)
    op = "replace" if replacing else "update"
    ctx.engine.write(ctx.unit, ctx.txn, coll, op, old, new, paths, pipeline)
    return new


def upsert_document(ctx: Context, coll: Collection, spec: Any, update: Any) -> dict[str, Any]:
    seed = upsert_seed(spec)
    if isinstance(update, list):
        new = apply_pipeline_update(seed, update)
    elif is_replacement(update):
        validate_replacement(update)
        new = {k: v for k, v in update.items()}
        if "_id" in seed and "_id" not in new:
            new = {"_id": seed["_id"], **new}
    else:
        new = apply_update(seed, update, inserting=True, now=now_millis(), ts=ctx.engine.clock.last)
    new = prepare_new_document(new)
    check_updated_size(new)
    ctx.engine.write(ctx.unit, ctx.txn, coll, "insert", None, new)
    return new


def _update_statement(
    ctx: Context, coll: Collection, stmt: dict[str, Any]
) -> tuple[int, int, dict[str, Any] | None]:
    """(matched, modified, the upserted document or None)."""
    check_sub_fields("update.updates", stmt, UPDATE_STATEMENT)
    refuse(ctx, "arrayFilters", "collation", "c", where=stmt)
    check_hint(ctx, stmt.get("hint"), stmt.get("q"))
    spec, update, multi = stmt.get("q", {}), stmt.get("u"), bool(stmt.get("multi", False))
    if multi and is_replacement(update):
        raise FailedToParseError("multi update is not supported for replacement-style update")
    predicate = compile_filter(spec)
    # Parsed once, before matching: a malformed update fails even when nothing matches.
    modifiers = not is_replacement(update) and not isinstance(update, list)
    plan = parse_update(cast(dict[str, Any], update), inserting=False) if modifiers else None
    docs = matching(ctx, spec, stmt.get("sort"), predicate)
    if not multi:
        docs = docs[:1]
    matched = modified = 0
    for doc in docs:

        def one(doc: dict[str, Any] = doc, plan: list[UpdateStep] | None = plan) -> bool:
            current = ctx.engine.visible(ctx.txn, ctx.namespace, id_key(doc["_id"]))
            # The same object is the same state, already matched; a lock wait may have changed it.
            if current is None or (current is not doc and not predicate(current)):
                return False
            return update_one_document(ctx, coll, current, update, plan) is not current

        changed = retry_locked(ctx, one)
        matched += 1
        modified += int(changed)
    if not docs and stmt.get("upsert"):
        new = retry_locked(ctx, lambda: upsert_document(ctx, coll, spec, update))
        return 1, 0, new
    return matched, modified, None


@command(
    "update",
    fields=("updates", "ordered", "bypassDocumentValidation", "let"),
    retryable_write=True,
    in_transaction=True,
)
def update(ctx: Context) -> dict[str, Any]:
    refuse(ctx, "let")
    statements = ctx.body.get("updates")
    if not isinstance(statements, list) or not statements:
        raise BadValueError("Write batch sizes must be between 1 and 100000. Got 0 operations.", code=16)
    coll = _target(ctx)
    ordered = ctx.body.get("ordered", True)
    n = modified = 0
    upserted: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for index, stmt in enumerate(statements):
        try:
            matched, changed, inserted = _update_statement(ctx, coll, stmt)
            n += matched
            modified += changed
            if inserted is not None:  # its _id may be null, still an upsert
                upserted.append({"index": index, "_id": inserted["_id"]})
        except CommandError as exc:
            _record_error(ctx, errors, index, exc)
            if ordered:
                break
    reply: dict[str, Any] = {"n": n, "nModified": modified}
    if upserted:
        reply["upserted"] = upserted
    return _finish(ctx, reply, errors)


@command("delete", fields=("deletes", "ordered", "let"), retryable_write=True, in_transaction=True)
def delete(ctx: Context) -> dict[str, Any]:
    refuse(ctx, "let")
    statements = ctx.body.get("deletes")
    if not isinstance(statements, list) or not statements:
        raise BadValueError("Write batch sizes must be between 1 and 100000. Got 0 operations.", code=16)
    refuse_write(*ctx.namespace)
    coll = ctx.engine.collection(*ctx.namespace)
    ordered = ctx.body.get("ordered", True)
    n = 0
    errors: list[dict[str, Any]] = []
    for index, stmt in enumerate(statements):
        try:
            check_sub_fields("delete.deletes", stmt, DELETE_STATEMENT)
            refuse(ctx, "collation", where=stmt)
            check_hint(ctx, stmt.get("hint"), stmt.get("q"))
            limit = stmt.get("limit", 0)
            if limit not in (0, 1):
                raise BadValueError(
                    "The limit field in delete objects must be 0 or 1. Got " + repr(limit), code=9
                )
            if coll is None and ctx.txn is None:
                continue
            predicate = compile_filter(stmt.get("q", {}))
            docs = matching(ctx, stmt.get("q", {}))
            for doc in docs[:1] if limit == 1 else docs:

                def one(doc: dict[str, Any] = doc, predicate: Any = predicate) -> int:
                    current = ctx.engine.visible(ctx.txn, ctx.namespace, id_key(doc["_id"]))
                    if current is None or not predicate(current):
                        return 0
                    ctx.engine.write(ctx.unit, ctx.txn, _target(ctx), "delete", current, None)
                    return 1

                n += retry_locked(ctx, one)
        except CommandError as exc:
            _record_error(ctx, errors, index, exc)
            if ordered:
                break
    return _finish(ctx, {"n": n}, errors)


@command(
    "findAndModify",
    "findandmodify",
    fields=(
        "query",
        "sort",
        "remove",
        "update",
        "new",
        "fields",
        "upsert",
        "bypassDocumentValidation",
        "collation",
        "arrayFilters",
        "hint",
        "let",
    ),
    retryable_write=True,
    in_transaction=True,
)
def find_and_modify(ctx: Context) -> dict[str, Any]:
    refuse(ctx, "collation", "arrayFilters", "let")
    check_hint(ctx, ctx.body.get("hint"), ctx.body.get("query"))
    body = ctx.body
    remove, update_spec = bool(body.get("remove", False)), body.get("update")
    if remove == (update_spec is not None):
        raise FailedToParseError("Either an update or remove=true must be specified")
    if remove and (body.get("new") or body.get("upsert")):
        raise FailedToParseError(
            "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document"
        )
    spec = body.get("query") or {}
    project = compile_projection(body.get("fields"))
    if update_spec is not None and not is_replacement(update_spec) and not isinstance(update_spec, list):
        parse_update(update_spec, inserting=False)
    coll = _target(ctx)
    predicate = compile_filter(spec)

    def attempt() -> dict[str, Any]:
        docs = matching(ctx, spec, body.get("sort"))
        if not docs:
            if update_spec is not None and body.get("upsert"):
                new = upsert_document(ctx, coll, spec, update_spec)
                return {
                    "lastErrorObject": {"n": 1, "updatedExisting": False, "upserted": new["_id"]},
                    "value": project(new) if body.get("new") else None,
                }
            return {"lastErrorObject": {"n": 0, "updatedExisting": False}, "value": None}
        current = ctx.engine.visible(ctx.txn, ctx.namespace, id_key(docs[0]["_id"]))
        if current is None or not predicate(current):
            return attempt()
        if remove:
            ctx.engine.write(ctx.unit, ctx.txn, coll, "delete", current, None)
            return {"lastErrorObject": {"n": 1}, "value": project(current)}
        new = update_one_document(ctx, coll, current, update_spec)
        return {
            "lastErrorObject": {"n": 1, "updatedExisting": True},
            "value": project(new if body.get("new") else current),
        }

    reply = retry_locked(ctx, attempt)
    reply["ok"] = 1.0
    return reply
