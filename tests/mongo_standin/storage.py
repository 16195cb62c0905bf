"""Stand-in storage: collections as _id-keyed version chains (MVCC snapshots) plus their indexes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from uuid import uuid4

from bson import Binary, ObjectId, Regex

from tests.mongo_standin.bsonvalues import sort_key
from tests.mongo_standin.errors import BadValueError, CommandError
from tests.mongo_standin.indexes import Index, IndexSpec, duplicate_key_error, lookup_values
from tests.mongo_standin.query import is_operator_doc

IdKey = Any
ID_INDEX = {"v": 2, "key": {"_id": 1}, "name": "_id_"}


def id_key(value: Any) -> IdKey:
    return sort_key(value)


class Version:
    """One committed state of a document; `doc` None is a deletion kept for older snapshots."""

    __slots__ = ("doc", "prev", "seq")

    def __init__(self, seq: int, doc: dict[str, Any] | None, prev: Version | None) -> None:
        self.seq = seq
        self.doc = doc
        self.prev = prev


class Collection:
    """Committed documents of one namespace; documents are never mutated once stored."""

    def __init__(
        self, db: str, name: str, options: dict[str, Any] | None = None, uuid: Binary | None = None
    ) -> None:
        self.db = db
        self.name = name
        self.options = dict(options or {})
        self.uuid = uuid if uuid is not None else Binary.from_uuid(uuid4())  # collectionUUID
        self.records: dict[IdKey, Version] = {}
        self.indexes: dict[str, Index] = {}
        self.last_seq = 0
        self.versioned: set[IdKey] = set()
        self.live = 0

    @property
    def namespace(self) -> str:
        return f"{self.db}.{self.name}"

    def get(self, idkey: IdKey, snapshot: int | None = None) -> dict[str, Any] | None:
        version = self.records.get(idkey)
        if snapshot is not None:
            while version is not None and version.seq > snapshot:
                version = version.prev
        return version.doc if version is not None else None

    def scan(
        self, snapshot: int | None = None, keys: Iterable[IdKey] | None = None
    ) -> Iterator[tuple[IdKey, dict[str, Any]]]:
        if keys is None:
            keys = list(self.records)
        for idkey in keys:
            doc = self.get(idkey, snapshot)
            if doc is not None:
                yield idkey, doc

    def candidate_keys(self, spec: dict[str, Any] | None) -> list[IdKey] | None:
        """_id keys that can match the filter, from an index; None when only a scan would do."""
        return self.plan(spec)[0]

    def plan(self, spec: dict[str, Any] | None) -> tuple[list[IdKey] | None, str | None]:
        """(candidate _id keys, index name) for the filter, or (None, None) for a collection scan."""
        if not spec:
            return None, None
        if "_id" in spec:
            found = lookup_values(spec["_id"])
            if found is not None:
                # Each document once, however often its _id is listed ($in: [1, 1, 1.0]).
                return list(dict.fromkeys(id_key(v) for v in found)), "_id_"
        for index in self.indexes.values():
            field = index.spec.fields[0]
            if field not in spec or not index.spec.usable_for(spec):
                continue
            found = lookup_values(spec[field])
            if found is not None:
                keys: set[IdKey] = set()
                for value in found:
                    keys |= index.lookup_first(value)
                return list(keys), index.spec.name
            bounds = range_bounds(spec[field])
            if bounds is not None:
                return list(index.lookup_range(*bounds)), index.spec.name
        return None, None

    def index_keys(self, name: str) -> list[IdKey]:
        """Every _id key an index holds (a full index scan)."""
        if name == "_id_":
            return list(self.records)
        return list(self.indexes[name].keys_of)

    def unique_conflicts(
        self, idkey: IdKey, doc: dict[str, Any]
    ) -> list[tuple[Index, IdKey, tuple[Any, ...]]]:
        found = []
        for index in self.indexes.values():
            if index.spec.unique:
                for other, raw in index.conflicts(idkey, doc):
                    found.append((index, other, raw))
        return found

    def write(self, idkey: IdKey, doc: dict[str, Any] | None, seq: int, keep_history: bool) -> None:
        old = self.records.get(idkey)
        old_doc = old.doc if old is not None else None
        if old_doc is not None:
            self.live -= 1
        if doc is not None:
            self.live += 1
        for index in self.indexes.values():
            if old_doc is not None and doc is not None and index.unaffected(old_doc, doc):
                continue
            if old_doc is not None:
                index.remove(idkey, old_doc)
            if doc is not None:
                index.add(idkey, doc)
        prev = old if keep_history else None
        if prev is not None or (keep_history and doc is None):
            self.versioned.add(idkey)
        if doc is None and not keep_history:
            self.records.pop(idkey, None)
        else:
            self.records[idkey] = Version(seq, doc, prev)
        self.last_seq = seq

    def trim_history(self, oldest_snapshot: int | None) -> None:
        """Forget versions no running transaction can read any more."""
        for idkey in list(self.versioned):
            version = self.records.get(idkey)
            if version is None:
                self.versioned.discard(idkey)
                continue
            if oldest_snapshot is None:
                version.prev = None
                if version.doc is None:
                    del self.records[idkey]
                self.versioned.discard(idkey)
                continue
            node: Version | None = version
            while node is not None and node.seq > oldest_snapshot:
                node = node.prev
            if node is not None:
                node.prev = None

    def add_index(self, spec: IndexSpec) -> None:
        index = Index(spec)
        for idkey, doc in self.scan():
            if spec.unique:
                for _other, raw in index.conflicts(idkey, doc):
                    raise index.duplicate_error(self.namespace, raw)
            index.add(idkey, doc)
        self.indexes[spec.name] = index

    @property
    def images_enabled(self) -> bool:
        """Whether change events record pre- and post-images (changeStreamPreAndPostImages)."""
        return bool((self.options.get("changeStreamPreAndPostImages") or {}).get("enabled"))

    def index_documents(self) -> list[dict[str, Any]]:
        return [dict(ID_INDEX)] + [i.spec.to_document() for i in self.indexes.values()]

    def id_duplicate_error(self, id_value: Any) -> CommandError:
        return duplicate_key_error(self.namespace, "_id_", {"_id": 1}, {"_id": id_value})


RANGE_OPERATORS = frozenset({"$gt", "$gte", "$lt", "$lte"})


def range_bounds(cond: Any) -> tuple[Any, bool, Any, bool] | None:
    """Sort-key bounds for a range on one BSON type (comparisons never cross types), or None."""
    if not is_operator_doc(cond) or not set(cond) <= RANGE_OPERATORS:
        return None
    ranks = set()
    low, low_inclusive, high, high_inclusive = None, True, None, True
    for op, value in cond.items():
        if value is None or isinstance(value, (dict, list, Regex)):
            return None
        key = sort_key(value)
        ranks.add(key[0])
        if op in ("$gt", "$gte"):
            if low is None or key > low or (key == low and op == "$gt"):
                low, low_inclusive = key, op == "$gte"
        elif high is None or key < high or (key == high and op == "$lt"):
            high, high_inclusive = key, op == "$lte"
    if len(ranks) != 1:
        return None
    rank = ranks.pop()
    # (rank,) sorts before and (rank + 0.5,) after every key of that type.
    return (
        low if low is not None else (rank,),
        low_inclusive,
        high if high is not None else (rank + 0.5,),
        high_inclusive,
    )


VALID_NAME = re.compile(r"^[^$\x00]+$")


def check_collection_name(name: Any) -> str:
    if not isinstance(name, str) or not name or not VALID_NAME.match(name) or name.startswith("."):
        raise BadValueError(f"Invalid collection name: {name!r}", code=73)
    return name


def check_db_name(name: Any) -> str:
    if not isinstance(name, str) or not name or any(c in name for c in '/\\. "$\x00'):
        raise BadValueError(f"Invalid database name: {name!r}", code=73)
    return name


def new_object_id() -> ObjectId:
    return ObjectId()
