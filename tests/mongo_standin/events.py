"""Stand-in change streams: building change events (insert/update/replace/delete/drop/invalidate)."""

from __future__ import annotations

from typing import Any

import bson

from tests.mongo_standin.wire import CODEC


def change_stub(
    op: str,
    coll: Any,
    id_value: Any,
    after: dict[str, Any] | None,
    before: dict[str, Any] | None,
    paths: list[str] | None = None,
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
        stub["updateDescription"] = update_description(before, after, paths)
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


def update_description(
    before: dict[str, Any], after: dict[str, Any], paths: list[str] | None = None
) -> dict[str, Any]:
    """What changed; ``paths`` are the paths the update operators named, if it had any.

    As in mongod, an array the update addressed inside (``a.0.b``) is described element by
    element; an array it replaced whole is reported whole.
    """
    updated: dict[str, Any] = {}
    removed: list[str] = []
    _diff(before, after, "", updated, removed, tuple(paths or ()))
    description: dict[str, Any] = {"updatedFields": updated, "removedFields": removed, "truncatedArrays": []}
    ambiguous = {p: parts for p in [*updated, *removed] if (parts := _disambiguated(p, after, before))}
    if ambiguous:  # only streams with showExpandedEvents see it
        description["disambiguatedPaths"] = ambiguous
    return description


def _disambiguated(path: str, after: dict[str, Any], before: dict[str, Any]) -> list[Any] | None:
    """The path's parts (array indexes as ints) if a numeric part names a field, else None."""
    parts: list[Any] = []
    ambiguous = False
    node: Any = after if _has_path(after, path) else before
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit():
            parts.append(int(part))
            node = node[int(part)] if int(part) < len(node) else None
            continue
        ambiguous = ambiguous or part.isdigit()
        parts.append(part)
        node = node.get(part) if isinstance(node, dict) else None
    return parts if ambiguous else None


def _has_path(doc: Any, path: str) -> bool:
    for part in path.split("."):
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            return False
    return True


_ABSENT = object()


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, (dict, list)):
        return bson.encode({"v": a}, codec_options=CODEC) == bson.encode({"v": b}, codec_options=CODEC)
    return bool(a == b)


def _diff(
    before: dict[str, Any],
    after: dict[str, Any],
    prefix: str,
    updated: dict[str, Any],
    removed: list[str],
    inside: tuple[str, ...],
) -> None:
    # Values shared with ``before`` (copy-on-write updates) are unchanged: only the rest is compared.
    changed = [key for key, value in after.items() if before.get(key, _ABSENT) is not value]
    for key in changed:
        value = after[key]
        path = prefix + key
        old = before.get(key, _ABSENT)
        if old is _ABSENT:
            updated[path] = value
        elif isinstance(value, dict) and isinstance(old, dict) and value and old:
            _diff(old, value, path + ".", updated, removed, inside)
        elif _addressed_inside(path, inside) and isinstance(value, list) and isinstance(old, list):
            _diff_array(old, value, path, updated, removed, inside)
        elif not _same(old, value):
            updated[path] = value
    removed.extend([prefix + key for key in before if key not in after])


def _addressed_inside(path: str, inside: tuple[str, ...]) -> bool:
    return any(p.startswith(path + ".") for p in inside)


def _diff_array(
    before: list[Any],
    after: list[Any],
    path: str,
    updated: dict[str, Any],
    removed: list[str],
    inside: tuple[str, ...],
) -> None:
    if len(after) < len(before):
        updated[path] = after  # shrunk by an operator: reported whole
        return
    for index, value in enumerate(after):
        element = f"{path}.{index}"
        old = before[index] if index < len(before) else _ABSENT
        if old is _ABSENT:
            updated[element] = value
        elif isinstance(value, dict) and isinstance(old, dict) and value and old:
            _diff(old, value, element + ".", updated, removed, inside)
        elif not _same(old, value):
            updated[element] = value


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
