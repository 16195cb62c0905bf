"""Stand-in change streams: building change events (insert/update/replace/delete/drop/invalidate)."""

from __future__ import annotations

from typing import Any

import bson

from tests.mongo_standin.wire import CODEC


def change_stub(
    op: str, db: str, coll: str, id_value: Any, after: dict[str, Any] | None, before: dict[str, Any] | None
) -> dict[str, Any]:
    """What a write records; turned into an event with cluster time and token at commit."""
    stub: dict[str, Any] = {"operationType": op, "ns": {"db": db, "coll": coll}}
    if id_value is not None:
        stub["documentKey"] = {"_id": id_value}
    if op in ("insert", "replace"):
        stub["fullDocument"] = after
    elif op == "update" and after is not None and before is not None:
        stub["updateDescription"] = update_description(before, after)
    return stub


def update_description(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    updated: dict[str, Any] = {}
    removed: list[str] = []
    _diff(before, after, "", updated, removed)
    return {"updatedFields": updated, "removedFields": removed, "truncatedArrays": []}


_ABSENT = object()


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, (dict, list)):
        return bson.encode({"v": a}, codec_options=CODEC) == bson.encode({"v": b}, codec_options=CODEC)
    return bool(a == b)


def _diff(
    before: dict[str, Any], after: dict[str, Any], prefix: str, updated: dict[str, Any], removed: list[str]
) -> None:
    # Values shared with ``before`` (copy-on-write updates) are unchanged: only the rest is compared.
    changed = [key for key, value in after.items() if before.get(key, _ABSENT) is not value]
    for key in changed:
        value = after[key]
        path = prefix + key
        if key not in before:
            updated[path] = value
        elif isinstance(value, dict) and isinstance(before[key], dict) and value and before[key]:
            _diff(before[key], value, path + ".", updated, removed)
        elif not _same(before[key], value):
            updated[path] = value
    removed.extend([prefix + key for key in before if key not in after])


def finish_event(
    stub: dict[str, Any], token: dict[str, str], ts: Any, wall: Any, txn: tuple[dict[str, Any], int] | None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "_id": token,
        "operationType": stub["operationType"],
        "clusterTime": ts,
        "wallTime": wall,
    }
    for field in ("fullDocument", "ns", "documentKey", "updateDescription"):
        if field in stub:
            event[field] = stub[field]
    if txn is not None:
        event["lsid"], event["txnNumber"] = txn
    return event
