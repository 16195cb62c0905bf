"""Stand-in core: find projections (inclusion or exclusion of fields, dotted paths included)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.mongo_standin.errors import BadValueError, NotImplementedByStandinError

Projector = Callable[[dict[str, Any]], dict[str, Any]]


def compile_projection(spec: dict[str, Any] | None) -> Projector:
    if not spec:
        return lambda doc: doc
    include_id = True
    included: dict[str, Any] = {}
    excluded: dict[str, Any] = {}
    for path, flag in spec.items():
        if isinstance(flag, (dict, str)) or path.endswith(".$") or path.startswith("$"):
            raise NotImplementedByStandinError(
                f"projection {path!r}: {flag!r} (only field inclusion/exclusion)"
            )
        if path == "_id":
            include_id = bool(flag)
            continue
        _tree_add(included if flag else excluded, path.split("."))
    if included and excluded:
        path = next(iter(excluded))
        raise BadValueError(f"Cannot do exclusion on field {path} in inclusion projection", code=31254)
    if included or (not excluded and include_id):  # {_id: 1} alone keeps only _id
        return lambda doc: _include(doc, included, include_id)
    return lambda doc: _exclude(doc, excluded, include_id)


def _tree_add(tree: dict[str, Any], parts: list[str]) -> None:
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if child is True:
            return
        node = node.setdefault(part, {})
    node[parts[-1]] = True


def _include(doc: dict[str, Any], tree: dict[str, Any], include_id: bool, top: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if top and include_id and "_id" in doc:
        out["_id"] = doc["_id"]
    for key, value in doc.items():
        if key not in tree:
            continue
        sub = tree[key]
        if sub is True:
            out[key] = value
        elif isinstance(value, dict):
            out[key] = _include(value, sub, include_id, top=False)
        elif isinstance(value, list):
            out[key] = [_include(v, sub, include_id, top=False) for v in value if isinstance(v, dict)]
    return out


def _exclude(doc: dict[str, Any], tree: dict[str, Any], include_id: bool, top: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if top and key == "_id":
            if include_id:
                out[key] = value
            continue
        sub = tree.get(key)
        if sub is True:
            continue
        if sub is None:
            out[key] = value
        elif isinstance(value, dict):
            out[key] = _exclude(value, sub, include_id, top=False)
        elif isinstance(value, list):
            out[key] = [_exclude(v, sub, include_id, top=False) if isinstance(v, dict) else v for v in value]
        else:
            out[key] = value
    return out
