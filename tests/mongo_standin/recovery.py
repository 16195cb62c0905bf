"""Stand-in durability: rebuild catalog, documents, event history and session outcomes from the journal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.mongo_standin.indexes import IndexSpec
from tests.mongo_standin.journal import Journal
from tests.mongo_standin.storage import Collection, id_key
from tests.mongo_standin.transactions import Transaction

if TYPE_CHECKING:
    from tests.mongo_standin.engine import Engine


def replay_journal(engine: Engine, journal: Journal) -> None:
    engine.replaying = True
    try:
        for record in journal.replay():
            _apply_record(engine, record)
    finally:
        engine.replaying = False


def _apply_record(engine: Engine, record: dict[str, Any]) -> None:
    seq = int(record.get("seq", 0))
    for op in record.get("ops", []):
        _apply_op(engine, op, seq)
    engine.seq = max(engine.seq, seq)
    engine.clock.observe(record["ts"])
    for event in record.get("events", []):
        engine.history.append(event, int(event["_id"]["_data"][18:34], 16))
    retry = record.get("retry")
    if retry:
        session = engine.sessions.get(retry["lsid"])
        number = int(retry["txnNumber"])
        session.txn_number = max(session.txn_number, number)
        if retry.get("committed"):
            txn = Transaction(session, number, seq)
            txn.state = Transaction.COMMITTED
            session.txn = txn
        else:
            session.retry_replies[number] = retry["reply"]


def _apply_op(engine: Engine, op: dict[str, Any], seq: int) -> None:
    kind, db = op["o"], op["db"]
    if kind == "dropDatabase":
        engine.catalog.pop(db, None)
        return
    name = op["coll"]
    if kind == "create":
        engine.catalog.setdefault(db, {})[name] = Collection(db, name, op.get("options"), op.get("uuid"))
        return
    if kind == "drop":
        engine.catalog.get(db, {}).pop(name, None)
        return
    coll = engine.catalog[db][name]
    if kind == "rename":
        del engine.catalog[db][name]
        coll.name = op["to"]
        engine.catalog[db][coll.name] = coll
        return
    if kind == "collMod":
        index_change = op["changes"].get("index")
        if index_change is not None:
            coll.indexes[index_change["name"]].spec.set_hidden(bool(index_change["hidden"]))
        coll.options.update({k: v for k, v in op["changes"].items() if k != "index"})
        return
    if kind == "index":
        coll.add_index(IndexSpec(op["spec"]))
    elif kind == "dropIndex":
        coll.indexes.pop(op["name"], None)
    elif kind == "put":
        coll.write(id_key(op["doc"]["_id"]), op["doc"], seq, keep_history=False)
    elif kind == "del":
        coll.write(id_key(op["id"]), None, seq, keep_history=False)
