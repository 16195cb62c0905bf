"""Stand-in commands: collections, databases and indexes (create, drop, list)."""

from __future__ import annotations

from typing import Any

from tests.mongo_standin.commands import Context, command
from tests.mongo_standin.commands.common import refuse, retry_locked
from tests.mongo_standin.cursors import open_cursor
from tests.mongo_standin.errors import BadValueError, CommandError, NotImplementedByStandinError
from tests.mongo_standin.indexes import IndexSpec
from tests.mongo_standin.query import compile_filter
from tests.mongo_standin.storage import check_collection_name


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
    images = options.pop("changeStreamPreAndPostImages", None)
    if options:
        raise NotImplementedByStandinError(f"create option(s) {sorted(options)}")
    if images is not None:
        options["changeStreamPreAndPostImages"] = _images_option(images)
    if ctx.engine.collection(*ctx.namespace, ctx.txn) is not None:
        raise CommandError(f"Collection {'.'.join(ctx.namespace)} already exists.", code=48)
    retry_locked(
        ctx, lambda: ctx.engine.ensure_collection(ctx.unit, *ctx.namespace, options or None, txn=ctx.txn)
    )
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


@command("createIndexes", fields=("indexes", "commitQuorum"), in_transaction=True)
def create_indexes(ctx: Context) -> dict[str, Any]:
    raw_specs = ctx.body.get("indexes")
    if not isinstance(raw_specs, list) or not raw_specs:
        raise BadValueError("Must specify at least one index to create", code=2)
    existed = ctx.engine.collection(*ctx.namespace, ctx.txn) is not None
    if ctx.txn is not None and ctx.engine.collection(*ctx.namespace) is not None:
        # Since 4.4 a transaction may index only a collection it creates itself.
        raise CommandError(
            f"Cannot create new indexes on existing collection {'.'.join(ctx.namespace)} in a "
            "multi-document transaction.",
            code=263,
        )
    coll = retry_locked(ctx, lambda: ctx.engine.ensure_collection(ctx.unit, *ctx.namespace, txn=ctx.txn))
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
        if ctx.txn is not None:
            coll.add_index(spec)  # journaled with the collection when the transaction commits
        else:
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


def _images_option(value: Any) -> dict[str, bool]:
    if not isinstance(value, dict) or set(value) != {"enabled"} or not isinstance(value["enabled"], bool):
        raise BadValueError("changeStreamPreAndPostImages must be an object {enabled: <bool>}", code=14)
    return {"enabled": value["enabled"]}


@command(
    "collMod",
    fields=(
        "changeStreamPreAndPostImages",
        "index",
        "validator",
        "validationLevel",
        "validationAction",
        "expireAfterSeconds",
        "viewOn",
        "pipeline",
        "dryRun",
    ),
)
def coll_mod(ctx: Context) -> dict[str, Any]:
    refuse(
        ctx, "validator", "validationLevel", "validationAction", "expireAfterSeconds", "viewOn", "pipeline"
    )
    coll = ctx.engine.collection(*ctx.namespace)
    if coll is None:
        raise CommandError(f"ns does not exist: {'.'.join(ctx.namespace)}", code=26)
    changes: dict[str, Any] = {}
    reply: dict[str, Any] = {"ok": 1.0}
    if "changeStreamPreAndPostImages" in ctx.body:
        changes["changeStreamPreAndPostImages"] = _images_option(ctx.body["changeStreamPreAndPostImages"])
    index = ctx.body.get("index")
    if index is not None:
        changes["index"], reply["hidden_old"], reply["hidden_new"] = _index_change(coll, index)
    ctx.engine.modify_collection(ctx.unit, coll, changes)
    return reply


def _index_change(coll: Any, index: Any) -> tuple[dict[str, Any], bool, bool]:
    if not isinstance(index, dict) or "hidden" not in index or set(index) - {"name", "keyPattern", "hidden"}:
        raise NotImplementedByStandinError("collMod index changes other than {name|keyPattern, hidden}")
    found = [
        i
        for i in coll.indexes.values()
        if index.get("name") in (None, i.spec.name) and index.get("keyPattern") in (None, i.spec.key)
    ]
    if len(found) != 1 or ("name" not in index and "keyPattern" not in index):
        raise CommandError(f"cannot find index {index.get('name') or index.get('keyPattern')}", code=27)
    spec = found[0].spec
    return {"name": spec.name, "hidden": bool(index["hidden"])}, spec.hidden, bool(index["hidden"])


@command("renameCollection", fields=("to", "dropTarget", "stayTemp"), admin_only=True)
def rename_collection(ctx: Context) -> dict[str, Any]:
    source, target = ctx.target, ctx.body.get("to")
    if not isinstance(source, str) or not isinstance(target, str) or "." not in source or "." not in target:
        raise BadValueError("renameCollection needs full namespaces 'db.collection' for both names", code=73)
    (db, name), (to_db, to) = source.split(".", 1), target.split(".", 1)
    if db != to_db:
        raise NotImplementedByStandinError("renameCollection across databases")
    check_collection_name(to)
    coll = ctx.engine.collection(db, name)
    if coll is None:
        raise CommandError(f"Source collection {source} does not exist", code=26)
    if name == to:
        raise CommandError("Can't rename a collection to itself", code=20)
    if ctx.engine.collection(db, to) is not None and not ctx.body.get("dropTarget"):
        raise CommandError("target namespace exists", code=48)
    ctx.engine.rename_collection(ctx.unit, coll, to, bool(ctx.body.get("dropTarget")))
    return {"ok": 1.0}
