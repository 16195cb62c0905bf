"""Stand-in storage: secondary index structures (hash lookups, unique checks, sparse and partial indexes)."""

from __future__ import annotations

import itertools
from typing import Any

from sortedcontainers import SortedList

from tests.mongo_standin.bsonvalues import bson_identical, sort_key
from tests.mongo_standin.errors import BadValueError, CommandError, NotImplementedByStandinError
from tests.mongo_standin.paths import MISSING, resolve, set_path, split
from tests.mongo_standin.query import Predicate, compile_filter, equality_value, is_operator_doc

IdKey = Any
KeyTuple = tuple[Any, ...]
SPEC_OPTIONS = frozenset(
    {"key", "name", "unique", "sparse", "partialFilterExpression", "background", "hidden", "v", "ns"}
)
BOOLEAN_OPTIONS = frozenset({"unique", "sparse", "background", "hidden"})
# Options that make two definitions different indexes (background only changes how it is built).
DEFINING_OPTIONS = ("unique", "sparse", "partialFilterExpression", "hidden")


class IndexSpec:
    """A validated index definition as listIndexes reports it."""

    def __init__(self, raw: dict[str, Any]) -> None:
        unknown = set(raw) - SPEC_OPTIONS
        if unknown:
            raise NotImplementedByStandinError(f"index option(s) {sorted(unknown)}")
        key = raw.get("key")
        if not isinstance(key, dict) or not key:
            raise BadValueError("index key pattern must be a non-empty object", code=67)
        for field, direction in key.items():
            if isinstance(direction, str):
                raise NotImplementedByStandinError(f"index type {direction!r} on {field!r}")
            if isinstance(direction, bool) or direction not in (1, -1):
                raise BadValueError(
                    f"Values in the index key pattern can only be 1 or -1, got {direction!r}", code=67
                )
        self.key: dict[str, Any] = {f: int(d) for f, d in key.items()}
        self.name: str = raw.get("name") or "_".join(f"{f}_{d}" for f, d in self.key.items())
        self.unique = bool(raw.get("unique", False))
        self.sparse = bool(raw.get("sparse", False))
        self.partial: dict[str, Any] | None = raw.get("partialFilterExpression")
        if self.partial is not None and not isinstance(self.partial, dict):
            raise BadValueError("partialFilterExpression must be an object", code=67)
        self.partial_pred: Predicate | None = compile_filter(self.partial) if self.partial else None
        self.hidden = bool(raw.get("hidden", False))
        self.fields = list(self.key)
        self.paths = [split(f) for f in self.fields]
        # Every option as given (booleans as booleans), in order: listIndexes reports them all.
        self.options = {
            k: bool(v) if k in BOOLEAN_OPTIONS else v
            for k, v in raw.items()
            if k not in ("key", "name", "v", "ns")
        }

    def set_hidden(self, hidden: bool) -> None:
        self.hidden = hidden
        self.options["hidden"] = hidden
        if not hidden:
            del self.options["hidden"]

    def to_document(self) -> dict[str, Any]:
        return {"v": 2, "key": dict(self.key), "name": self.name, **self.options}

    def same_definition(self, other: IndexSpec) -> bool:
        return self.key == other.key and all(
            self.options.get(o, False) == other.options.get(o, False) for o in DEFINING_OPTIONS
        )

    def usable_for(self, spec: dict[str, Any] | None) -> bool:
        """Whether the planner may answer this filter from the index (never hidden; partial if implied)."""
        if self.hidden:
            return False
        return self.partial is None or filter_implies(spec or {}, self.partial)


class Index:
    """Maps index keys to the _id keys of documents; compound indexes also keep a first-field map."""

    def __init__(self, spec: IndexSpec) -> None:
        self.spec = spec
        self.entries: dict[KeyTuple, set[IdKey]] = {}
        self.first: dict[Any, set[IdKey]] | None = {} if len(spec.fields) > 1 else None
        # First-field keys in BSON order, for range conditions ($gt, $lte, ...).
        self.ordered: SortedList = SortedList()
        # Field names when no indexed path is dotted (the key-computing fast path), else empty.
        self.top_level = [] if any(len(p) > 1 for p in spec.paths) else list(spec.fields)
        # The keys each document was indexed under (documents are immutable): removal needs no recompute.
        self.keys_of: dict[IdKey, list[KeyTuple]] = {}

    def keys_for(self, doc: dict[str, Any]) -> list[tuple[KeyTuple, tuple[Any, ...]]]:
        """(hashable key, raw values) pairs; one per array element for multikey fields."""
        if self.spec.partial_pred is not None and not self.spec.partial_pred(doc):
            return []
        if self.top_level:
            # Top-level fields holding neither arrays nor documents: exactly one key, no expansion.
            raw = tuple([doc.get(name) for name in self.top_level])
            if not any([isinstance(v, (list, dict)) for v in raw]) and not (
                self.spec.sparse and all(name not in doc for name in self.top_level)
            ):
                return [(tuple(map(sort_key, raw)), raw)]
        per_field: list[list[Any]] = []
        all_missing = True
        for parts in self.spec.paths:
            values: list[Any] = []
            for value in resolve(doc, parts):
                if value is MISSING:
                    values.append(None)
                    continue
                all_missing = False
                if isinstance(value, list):
                    values.extend(value if value else [None])
                else:
                    values.append(value)
            per_field.append(values or [None])
        if self.spec.sparse and all_missing:
            return []
        pairs = []
        seen = set()
        for combo in itertools.product(*per_field):
            key = tuple(sort_key(v) for v in combo)
            if key not in seen:
                seen.add(key)
                pairs.append((key, combo))
        return pairs

    def unaffected(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        """Whether an update keeps this index's keys: every indexed top-level field is the same object.

        Updates copy on write, so an untouched field is shared by identity; a partial index also
        depends on its filter's fields, so it is always recomputed.
        """
        if self.spec.partial_pred is not None:
            return False
        return all(old.get(parts[0], MISSING) is new.get(parts[0], MISSING) for parts in self.spec.paths)

    def add(self, idkey: IdKey, doc: dict[str, Any]) -> None:
        keys = self.keys_of[idkey] = [key for key, _raw in self.keys_for(doc)]
        for key in keys:
            bucket = self.entries.get(key)
            if bucket is None:
                bucket = self.entries[key] = set()
                if self.first is None:
                    self.ordered.add(key[0])
            bucket.add(idkey)
            if self.first is not None:
                first = self.first.get(key[0])
                if first is None:
                    first = self.first[key[0]] = set()
                    self.ordered.add(key[0])
                first.add(idkey)

    def remove(self, idkey: IdKey, doc: dict[str, Any]) -> None:
        keys = self.keys_of.pop(idkey, None)
        for key in keys if keys is not None else [key for key, _raw in self.keys_for(doc)]:
            bucket = self.entries.get(key)
            if bucket is not None:
                bucket.discard(idkey)
                if not bucket:
                    del self.entries[key]
                    if self.first is None:
                        self.ordered.remove(key[0])
            if self.first is not None:
                first = self.first.get(key[0])
                if first is not None:
                    first.discard(idkey)
                    if not first:
                        del self.first[key[0]]
                        self.ordered.remove(key[0])

    def lookup_first(self, value: Any) -> set[IdKey]:
        key = sort_key(value)
        if self.first is None:
            return self.entries.get((key,), set())
        return self.first.get(key, set())

    def lookup_range(self, low: Any, low_inclusive: bool, high: Any, high_inclusive: bool) -> set[IdKey]:
        """_id keys whose first-field key lies between two sort keys."""
        found: set[IdKey] = set()
        for key in self.ordered.irange(low, high, inclusive=(low_inclusive, high_inclusive)):
            found |= self.entries[(key,)] if self.first is None else self.first[key]
        return found

    def conflicts(self, idkey: IdKey, doc: dict[str, Any]) -> list[tuple[IdKey, tuple[Any, ...]]]:
        """For a unique index: (other _id key, raw key values) of documents holding one of doc's keys."""
        found = []
        for key, raw in self.keys_for(doc):
            for other in self.entries.get(key, ()):
                if other != idkey:
                    found.append((other, raw))
        return found

    def duplicate_error(self, namespace: str, raw: tuple[Any, ...]) -> CommandError:
        return duplicate_key_error(
            namespace, self.spec.name, dict(self.spec.key), dict(zip(self.spec.fields, raw, strict=True))
        )


def duplicate_key_error(
    namespace: str, index_name: str, key_pattern: dict[str, Any], key_value: dict[str, Any]
) -> CommandError:
    shown = ", ".join(f"{k}: {v!r}" for k, v in key_value.items())
    return CommandError(
        f"E11000 duplicate key error collection: {namespace} index: {index_name} dup key: {{ {shown} }}",
        code=11000,
        extra={"keyPattern": key_pattern, "keyValue": key_value},
    )


PARTIAL_OPERATORS = frozenset({"$eq", "$gt", "$gte", "$lt", "$lte", "$in", "$type", "$exists"})


def filter_implies(spec: dict[str, Any], partial: dict[str, Any]) -> bool:
    """Whether every document matching ``spec`` matches ``partial`` (sound, not complete).

    Each clause of the partial filter must appear verbatim in the query, or be met by every value
    the query's equality (or $in) on that field allows. Partial-filter clauses all mean "some value
    on the path satisfies it", so a value the query requires that satisfies the clause is enough.
    """
    query = _clauses(spec)
    for field, cond in _clauses(partial):
        if any(f == field and bson_identical(c, cond) for f, c in query):
            continue
        if is_operator_doc(cond) and not set(cond) <= PARTIAL_OPERATORS:
            return False
        clause = compile_filter({field: cond})
        allowed = [lookup_values(c) for f, c in query if f == field]
        if not any(values and all(clause(_single(field, v)) for v in values) for values in allowed):
            return False
    return True


def _clauses(spec: dict[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for key, cond in spec.items():
        if key == "$and" and isinstance(cond, list):
            for sub in cond:
                found.extend(_clauses(sub) if isinstance(sub, dict) else [])
        elif not key.startswith("$"):
            found.append((key, cond))
    return found


def lookup_values(cond: Any) -> list[Any] | None:
    if is_operator_doc(cond) and set(cond) == {"$in"} and isinstance(cond["$in"], list):
        values = [equality_value(v) for v in cond["$in"]]
        return None if any(v is MISSING for v in values) else values
    value = equality_value(cond)
    return None if value is MISSING else [value]


def _single(field: str, value: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    set_path(doc, split(field), value)
    return doc
