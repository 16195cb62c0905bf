"""Stand-in change streams: an update event's updateDescription, as mongod describes the change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import bson

from tests.mongo_standin.wire import CODEC

_ABSENT = object()


@dataclass
class _Diff:
    inside: tuple[str, ...]  # paths the update operators named
    pipeline: bool  # a pipeline-style update: arrays are compared element by element
    updated: dict[str, Any] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    truncated: list[dict[str, Any]] = field(default_factory=list)


def update_description(
    before: dict[str, Any], after: dict[str, Any], paths: list[str] | None = None, pipeline: bool = False
) -> dict[str, Any]:
    """What changed. ``paths`` are the paths the update operators named, if it had any.

    As mongod does: an array an operator addressed inside (``a.0.b``) is described element by
    element and one it replaced is reported whole; a pipeline-style update's arrays are compared
    element by element, a shorter one reported in ``truncatedArrays``.
    """
    diff = _Diff(tuple(paths or ()), pipeline)
    _compare(before, after, "", diff)
    description: dict[str, Any] = {
        "updatedFields": diff.updated,
        "removedFields": diff.removed,
        "truncatedArrays": diff.truncated,
    }
    # Only a path with a numeric part can be ambiguous: most updates skip the walk entirely.
    numeric = [p for p in [*diff.updated, *diff.removed] if any(c.isdigit() for c in p)]
    ambiguous = {p: parts for p in numeric if (parts := _disambiguated(p, after, before))}
    if ambiguous:  # only streams with showExpandedEvents see it
        description["disambiguatedPaths"] = ambiguous
    return description


def _compare(before: dict[str, Any], after: dict[str, Any], prefix: str, diff: _Diff) -> None:
    # Values shared with ``before`` (copy-on-write updates) are unchanged: only the rest is compared.
    changed = [key for key, value in after.items() if before.get(key, _ABSENT) is not value]
    for key in changed:
        value = after[key]
        path = prefix + key
        old = before.get(key, _ABSENT)
        if old is _ABSENT:
            diff.updated[path] = value
        elif isinstance(value, dict) and isinstance(old, dict) and value and old:
            _compare(old, value, path + ".", diff)
        elif isinstance(value, list) and isinstance(old, list) and _by_element(path, diff):
            _compare_array(old, value, path, diff)
        elif not _same(old, value):
            diff.updated[path] = value
    diff.removed.extend([prefix + key for key in before if key not in after])


def _by_element(path: str, diff: _Diff) -> bool:
    return diff.pipeline or any(p.startswith(path + ".") for p in diff.inside)


def _compare_array(before: list[Any], after: list[Any], path: str, diff: _Diff) -> None:
    if len(after) < len(before):
        if not diff.pipeline:
            diff.updated[path] = after  # shrunk by an operator: reported whole
            return
        diff.truncated.append({"field": path, "newSize": len(after)})
    for index, value in enumerate(after):
        element = f"{path}.{index}"
        old = before[index] if index < len(before) else _ABSENT
        if old is _ABSENT:
            diff.updated[element] = value
        elif isinstance(value, dict) and isinstance(old, dict) and value and old:
            _compare(old, value, element + ".", diff)
        elif not _same(old, value):
            diff.updated[element] = value


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, (dict, list)):
        return bson.encode({"v": a}, codec_options=CODEC) == bson.encode({"v": b}, codec_options=CODEC)
    return bool(a == b)


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
