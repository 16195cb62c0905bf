"""Stand-in commands: collections, databases and indexes (create, drop, list)."""

from __future__ import annotations

from typing import Any

from tests.mongo_standin.commands import Context, command
from tests.mongo_standin.commands.common import refuse, retry_locked
from tests.mongo_standin.cursors import open_cursor
from tests.mongo_standin.errors import BadValueError, CommandError, NotImplementedByStandinError
from tests.mongo_standin.indexes import IndexSpec
from tests.mongo_standin.query import compile_filter


@command(
    "create",
    fields=(
        "capped",
        "size",
        "max",
        "validator",
        "validationLevel",
        "validationAction",
        "timeseries",
        "clusteredIndex",
        "collation",
        "viewOn",
        "pipeline",
        "storageEngine",
        "indexOptionDefaults",
        "changeStreamPreAndPostImages",
        "expireAfterSeconds",
        "encryptedFields",
        "idIndex",
    ),
    in_transaction=True,
)
def create(ctx: Context) -> dict[str, Any]:
    options = {
        k: v
        for k, v in ctx.body.items()
        if k != "create"
        and not k.startswith("$")
        and k
        not in (
            "lsid",
            "txnNumber",
            "autocommit",
            "startTransaction",
            "readConcern",
            "writeConcern",
            "maxTimeMS",
            "comment",
            "apiVersion",
            "apiStrict",
            "apiDeprecationErrors",
        )
    }
    if options:
        raise NotImplementedByStandinError(f"create option(s) {sorted(options)}")
    if ctx.engine.collection(*ctx.namespace, ctx.txn) is not None:
        raise CommandError(f"Collection {'.'.join(ctx.namespace)} already exists.", code=48)
    retry_locked(ctx, lambda: ctx.engine.ensure_collection(ctx.unit, *ctx.namespace, txn=ctx.txn))
    return {"ok": 1.0}


@command("drop")
def drop(ctx: Context) -> dict[str, Any]:
    ctx.engine.drop_collection(ctx.unit, *ctx.namespace)
    return {"ns": ".".join(ctx.namespace), "nIndexesWas": 1, "ok": 1.0}


@command("dropDatabase")
def drop_database(ctx: Context) -> dict[str, Any]:
    ctx.engine.drop_database(ctx.unit, ctx.db)
    return {"dropped": ctx.db, "ok": 1.0}


@command("listCollections", fields=("filter", "nameOnly", "authorizedCollections", "cursor"))
def list_collections(ctx: Context) -> dict[str, Any]:
    predicate = compile_filter(ctx.body.get("filter"))
    rows = []
    for name, coll in ctx.engine.catalog.get(ctx.db, {}).items():
        row: dict[str, Any] = {"name": name, "type": "collection"}
        if not ctx.body.get("nameOnly"):
            row.update(
                {
                    "options": coll.options,
                    "info": {"readOnly": False},
                    "idIndex": {"v": 2, "key": {"_id": 1}, "name": "_id_"},
                }
            )
        if predicate(row):
            rows.append(row)
    return open_cursor(
        ctx, f"{ctx.db}.$cmd.listCollections", rows, (ctx.body.get("cursor") or {}).get("batchSize")
    )


@command("listIndexes", fields=("cursor",))
def list_indexes(ctx: Context) -> dict[str, Any]:
    coll = ctx.engine.collection(*ctx.namespace)
    if coll is None:
        raise CommandError(f"ns does not exist: {'.'.join(ctx.namespace)}", code=26)
    return open_cursor(
        ctx, ".".join(ctx.namespace), coll.index_documents(), (ctx.body.get("cursor") or {}).get("batchSize")
    )


@command("createIndexes", fields=("indexes", "commitQuorum"), in_transaction=False)
def create_indexes(ctx: Context) -> dict[str, Any]:
    raw_specs = ctx.body.get("indexes")
    if not isinstance(raw_specs, list) or not raw_specs:
        raise BadValueError("Must specify at least one index to create", code=2)
    existed = ctx.engine.collection(*ctx.namespace) is not None
    coll = ctx.engine.ensure_collection(ctx.unit, *ctx.namespace)
    before = len(coll.indexes) + 1
    created = 0
    for raw in raw_specs:
        spec = IndexSpec(raw)
        if spec.name == "_id_" or spec.key == {"_id": 1}:
            if spec.key != {"_id": 1} or (spec.unique is False and raw.get("unique") is not None):
                raise CommandError("The _id index is built in and cannot be redefined", code=197)
            continue
        existing = coll.indexes.get(spec.name)
        if existing is not None:
            if existing.spec.same_definition(spec):
                continue
            raise CommandError(
                f"An existing index has the same name as the requested index. Requested index: "
                f"{spec.to_document()}, existing index: {existing.spec.to_document()}",
                code=86,
            )
        same_key = [i for i in coll.indexes.values() if i.spec.key == spec.key]
        if same_key:
            other = same_key[0].spec
            if other.unique == spec.unique and other.sparse == spec.sparse and other.partial == spec.partial:
                raise CommandError(f"Index already exists with a different name: {other.name}", code=85)
            raise CommandError(
                f"An existing index has the same key pattern with different options: {other.name}", code=85
            )
        ctx.engine.add_index(ctx.unit, coll, spec)
        created += 1
    reply: dict[str, Any] = {
        "numIndexesBefore": before,
        "numIndexesAfter": before + created,
        "createdCollectionAutomatically": not existed,
        "ok": 1.0,
    }
    if not created:
        reply["note"] = "all indexes already exist"
    return reply


@command("dropIndexes", "deleteIndexes", fields=("index",))
def drop_indexes(ctx: Context) -> dict[str, Any]:
    refuse(ctx)
    coll = ctx.engine.collection(*ctx.namespace)
    if coll is None:
        raise CommandError(f"ns not found {'.'.join(ctx.namespace)}", code=26)
    target = ctx.body.get("index")
    before = len(coll.indexes) + 1
    if target == "*":
        names = list(coll.indexes)
    elif isinstance(target, str):
        names = [target]
    elif isinstance(target, dict):
        names = [i.spec.name for i in coll.indexes.values() if i.spec.key == target]
        if not names and target != {"_id": 1}:
            raise CommandError(f"can't find index with key: {target}", code=27)
    elif isinstance(target, list):
        names = list(target)
    else:
        raise BadValueError("dropIndexes needs an index name, key pattern, list of names or '*'", code=14)
    for name in names:
        if name == "_id_" or (names == [] and target == {"_id": 1}):
            raise CommandError("cannot drop _id index", code=72)
        if name not in coll.indexes:
            raise CommandError(f"index not found with name [{name}]", code=27)
        ctx.engine.drop_index(ctx.unit, coll, name)
    if target == {"_id": 1}:
        raise CommandError("cannot drop _id index", code=72)
    return {"nIndexesWas": before, "ok": 1.0}
