"""Stand-in core: the catalog of databases, collections and indexes, inside or outside transactions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.mongo_standin.errors import WriteConflictError
from tests.mongo_standin.indexes import IndexSpec
from tests.mongo_standin.locks import TxnLockBusy
from tests.mongo_standin.storage import ID_INDEX, Collection
from tests.mongo_standin.transactions import Transaction

if TYPE_CHECKING:
    from tests.mongo_standin.engine import WriteUnit


class CatalogMixin:
    """Engine methods that change which collections and indexes exist; each change is journaled."""

    catalog: dict[str, dict[str, Collection]]
    active_txns: set[Transaction]

    def _event(self, unit: WriteUnit, stub: dict[str, Any], invalidate: bool = False) -> None:
        raise NotImplementedError

    def collection(self, db: str, name: str, txn: Transaction | None = None) -> Collection | None:
        """The committed collection, or (for ``txn``) one that transaction created and has not committed."""
        coll = self.catalog.get(db, {}).get(name)
        if coll is None and txn is not None:
            coll = txn.created.get((db, name))
        return coll

    def ensure_collection(
        self,
        unit: WriteUnit,
        db: str,
        name: str,
        options: dict[str, Any] | None = None,
        txn: Transaction | None = None,
    ) -> Collection:
        """The collection, created if missing: at once outside a transaction, on commit inside one."""
        coll = self.collection(db, name, txn)
        if coll is not None:
            return coll
        creator = next((t for t in self.active_txns if (db, name) in t.created and t is not txn), None)
        if creator is not None:
            if txn is not None:
                raise WriteConflictError()  # two transactions creating one collection: first wins
            raise TxnLockBusy(creator)  # wait for the creating transaction, as mongod does
        coll = Collection(db, name, options)
        if txn is not None:
            txn.created[(db, name)] = coll
            return coll
        self._install(unit, coll)
        return coll

    def _install(self, unit: WriteUnit, coll: Collection) -> None:
        self.catalog.setdefault(coll.db, {})[coll.name] = coll
        ns = {"db": coll.db, "coll": coll.name}
        unit.ops.append({"o": "create", **ns, "options": dict(coll.options), "uuid": coll.uuid})
        self._event(unit, ddl_stub("create", coll, {"idIndex": dict(ID_INDEX)}))
        for index in coll.indexes.values():
            spec = index.spec.to_document()
            unit.ops.append({"o": "index", **ns, "spec": spec})
            self._event(unit, ddl_stub("createIndexes", coll, {"indexes": [spec]}))

    def add_index(self, unit: WriteUnit, coll: Collection, spec: IndexSpec) -> None:
        coll.add_index(spec)
        unit.ops.append({"o": "index", "db": coll.db, "coll": coll.name, "spec": spec.to_document()})
        if self.collection(coll.db, coll.name) is coll:  # not one a transaction has yet to create
            self._event(unit, ddl_stub("createIndexes", coll, {"indexes": [spec.to_document()]}))

    def drop_index(self, unit: WriteUnit, coll: Collection, name: str) -> None:
        spec = coll.indexes.pop(name).spec.to_document()
        unit.ops.append({"o": "dropIndex", "db": coll.db, "coll": coll.name, "name": name})
        self._event(unit, ddl_stub("dropIndexes", coll, {"indexes": [spec]}))

    def modify_collection(self, unit: WriteUnit, coll: Collection, changes: dict[str, Any]) -> None:
        """collMod: new collection options (pre- and post-images) or index options (hidden)."""
        index_change = changes.get("index")
        if index_change is not None:
            coll.indexes[index_change["name"]].spec.set_hidden(bool(index_change["hidden"]))
        options = {k: v for k, v in changes.items() if k != "index"}
        coll.options.update(options)
        unit.ops.append({"o": "collMod", "db": coll.db, "coll": coll.name, "changes": changes})
        self._event(unit, ddl_stub("modify", coll, dict(changes)))

    def rename_collection(self, unit: WriteUnit, coll: Collection, to: str, drop_target: bool) -> None:
        """Rename within a database: the rename event, then invalidate for streams on the old name."""
        old = {"db": coll.db, "coll": coll.name}
        description: dict[str, Any] = {"to": {"db": coll.db, "coll": to}}
        target = self.collection(coll.db, to)
        if target is not None and drop_target:
            description["dropTarget"] = target.uuid
            self.drop_collection(unit, coll.db, to)
        del self.catalog[coll.db][coll.name]
        coll.name = to
        self.catalog[coll.db][to] = coll
        unit.ops.append({"o": "rename", **old, "to": to})
        stub = {"operationType": "rename", "ns": old, "to": description["to"], "collectionUUID": coll.uuid}
        self._event(unit, {**stub, "operationDescription": description})
        self._event(unit, {"operationType": "invalidate", "ns": old}, invalidate=True)

    def drop_collection(self, unit: WriteUnit, db: str, name: str) -> bool:
        coll = self.catalog.get(db, {}).pop(name, None)
        if coll is None:
            return False
        unit.ops.append({"o": "drop", "db": db, "coll": name})
        self._event(
            unit, {"operationType": "drop", "ns": {"db": db, "coll": name}, "collectionUUID": coll.uuid}
        )
        self._event(unit, {"operationType": "invalidate", "ns": {"db": db, "coll": name}}, invalidate=True)
        return True

    def drop_database(self, unit: WriteUnit, db: str) -> None:
        for name in list(self.catalog.get(db, {})):
            self.drop_collection(unit, db, name)
        if self.catalog.pop(db, None) is not None:
            unit.ops.append({"o": "dropDatabase", "db": db})
            self._event(unit, {"operationType": "dropDatabase", "ns": {"db": db}})
            self._event(unit, {"operationType": "invalidate", "ns": {"db": db}}, invalidate=True)


def ddl_stub(kind: str, coll: Collection, description: dict[str, Any]) -> dict[str, Any]:
    """An expanded event: only streams opened with showExpandedEvents see it."""
    return {
        "operationType": kind,
        "ns": {"db": coll.db, "coll": coll.name},
        "collectionUUID": coll.uuid,
        "operationDescription": description,
        "expanded": True,
    }
