"""Stand-in change streams: building change events (insert/update/replace/delete/drop/invalidate)."""

from __future__ import annotations

from typing import Any

from tests.mongo_standin.update_diff import update_description


def change_stub(
    op: str,
    coll: Any,
    id_value: Any,
    after: dict[str, Any] | None,
    before: dict[str, Any] | None,
    paths: list[str] | None = None,
    pipeline: bool = False,
) -> dict[str, Any]:
    """What a write records; turned into an event with cluster time and token at commit.

    With changeStreamPreAndPostImages enabled on the collection, it also keeps the document before
    the change (pre-image) and, for updates, after it (post-image), for streams that ask for them.
    """
    stub: dict[str, Any] = {"operationType": op, "ns": {"db": coll.db, "coll": coll.name}}
    stub["collectionUUID"] = coll.uuid
    if id_value is not None:
        stub["documentKey"] = {"_id": id_value}
    if op in ("insert", "replace"):
        stub["fullDocument"] = after
    elif op == "update" and after is not None and before is not None:
        stub["updateDescription"] = update_description(before, after, paths, pipeline)
    if coll.images_enabled and op != "insert":
        stub["fullDocumentBeforeChange"] = before
        if op == "update":
            stub["postImage"] = after
    return stub


# Kept with an event for the streams that ask for them; "expanded" and "postImage" are internal.
EVENT_FIELDS = (
    "fullDocument",
    "ns",
    "to",
    "documentKey",
    "updateDescription",
    "collectionUUID",
    "operationDescription",
    "fullDocumentBeforeChange",
    "postImage",
    "expanded",
)


def finish_event(
    stub: dict[str, Any], token: dict[str, str], ts: Any, wall: Any, txn: tuple[dict[str, Any], int] | None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "_id": token,
        "operationType": stub["operationType"],
        "clusterTime": ts,
        "wallTime": wall,
    }
    for field in EVENT_FIELDS:
        if field in stub:
            event[field] = stub[field]
    if txn is not None:
        event["lsid"], event["txnNumber"] = txn
    return event
