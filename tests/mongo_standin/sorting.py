"""Stand-in core: sort documents by a sort specification in BSON order (arrays sort by min/max element)."""

from __future__ import annotations

from typing import Any

from tests.mongo_standin.bsonvalues import sort_key
from tests.mongo_standin.errors import BadValueError, NotImplementedByStandinError
from tests.mongo_standin.paths import MISSING, resolve, split

NULL_KEY = sort_key(None)


def validate_sort(spec: Any) -> list[tuple[list[str], int]]:
    if not isinstance(spec, dict):
        raise BadValueError("sort must be an object", code=14)
    fields = []
    for field, direction in spec.items():
        if isinstance(direction, dict):
            raise NotImplementedByStandinError(f"sort by {direction!r}")
        if field == "$natural" and len(spec) > 1:
            raise NotImplementedByStandinError("$natural combined with other sort keys")
        if isinstance(direction, bool) or direction not in (1, -1):
            raise BadValueError(
                f"$sort key ordering must be 1 (for ascending) or -1 (for descending), got {direction!r}",
                code=15975,
            )
        fields.append((split(field), int(direction)))
    return fields


def _field_key(doc: dict[str, Any], parts: list[str], direction: int) -> tuple[Any, ...]:
    if len(parts) == 1:
        value = doc.get(parts[0], MISSING)
        if value is MISSING:
            return NULL_KEY
        if not isinstance(value, list):
            return sort_key(value)
    keys = []
    for value in resolve(doc, parts):
        if value is MISSING:
            keys.append(NULL_KEY)
        elif isinstance(value, list):
            keys.extend(sort_key(v) for v in value) if value else keys.append(sort_key([]))
        else:
            keys.append(sort_key(value))
    if not keys:
        return NULL_KEY
    return min(keys) if direction == 1 else max(keys)


def sort_documents(docs: list[dict[str, Any]], spec: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not spec:
        return docs
    fields = validate_sort(spec)
    if fields[0][0] == ["$natural"]:
        return list(docs) if fields[0][1] == 1 else list(reversed(docs))
    ordered = list(docs)
    if len({direction for _, direction in fields}) == 1:
        # One direction: one stable sort on the tuple of keys orders exactly as a pass per key.
        direction = fields[0][1]
        ordered.sort(key=lambda d: tuple([_field_key(d, p, dr) for p, dr in fields]), reverse=direction == -1)
        return ordered
    for parts, direction in reversed(fields):
        ordered.sort(key=lambda d, p=parts, dr=direction: _field_key(d, p, dr), reverse=direction == -1)  # type: ignore[misc]
    return ordered
