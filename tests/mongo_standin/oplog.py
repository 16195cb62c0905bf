"""Stand-in reads: `local.oplog.rs`, a read-only view of the change history as oplog entries."""

from __future__ import annotations

from typing import Any

from bson import Int64

from tests.mongo_standin.errors import CommandError
from tests.mongo_standin.history import ChangeHistory

OPLOG = ("local", "oplog.rs")


def is_oplog(db: str, name: str) -> bool:
    return (db, name) == OPLOG


def refuse_write(db: str, name: str) -> None:
    if is_oplog(db, name):
        raise CommandError(
            "cannot write to 'local.oplog.rs': it is a read-only view in the stand-in", code=73
        )


def oplog_entries(history: ChangeHistory) -> list[dict[str, Any]]:
    """One entry per change event still in the history (the oplog's own window), oldest first."""
    entries = []
    for event in history.events:
        entry = _entry(event)
        if entry is not None:
            entries.append(entry)
    return entries


def _entry(event: dict[str, Any]) -> dict[str, Any] | None:
    kind, ns = event["operationType"], event.get("ns", {})
    base: dict[str, Any] = {
        "ts": event["clusterTime"],
        "t": Int64(1),
        "v": Int64(2),
        "wall": event["wallTime"],
    }
    if "lsid" in event:
        base.update(lsid=event["lsid"], txnNumber=Int64(event["txnNumber"]))
    full = f"{ns.get('db')}.{ns.get('coll')}"
    command_ns = f"{ns.get('db')}.$cmd"
    if kind == "insert":
        return {**base, "op": "i", "ns": full, "o": event["fullDocument"], "o2": event["documentKey"]}
    if kind == "replace":
        return {**base, "op": "u", "ns": full, "o": event["fullDocument"], "o2": event["documentKey"]}
    if kind == "update":
        description = event["updateDescription"]
        diff = {"u": description["updatedFields"], "d": dict.fromkeys(description["removedFields"], False)}
        return {**base, "op": "u", "ns": full, "o": {"$v": 2, "diff": diff}, "o2": event["documentKey"]}
    if kind == "delete":
        return {**base, "op": "d", "ns": full, "o": event["documentKey"]}
    commands = {
        "drop": lambda: {"drop": ns["coll"]},
        "dropDatabase": lambda: {"dropDatabase": 1},
        "create": lambda: {"create": ns["coll"]},
        "createIndexes": lambda: {"createIndexes": ns["coll"], **event["operationDescription"]["indexes"][0]},
        "dropIndexes": lambda: {
            "dropIndexes": ns["coll"],
            "index": event["operationDescription"]["indexes"][0]["name"],
        },
        "rename": lambda: {"renameCollection": full, "to": f"{event['to']['db']}.{event['to']['coll']}"},
    }
    if kind in commands:
        return {**base, "op": "c", "ns": command_ns, "o": commands[kind]()}
    return None  # invalidate and modify have no oplog entry of their own here
