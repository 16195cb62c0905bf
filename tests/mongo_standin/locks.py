"""Stand-in transactions: document and unique-key locks held by open transactions; write-conflict rules."""

from __future__ import annotations

from typing import Any

from tests.mongo_standin.errors import WriteConflictError
from tests.mongo_standin.storage import Collection, IdKey
from tests.mongo_standin.transactions import Transaction

Namespace = tuple[str, str]


class TxnLockBusy(Exception):  # noqa: N818 — control flow (wait and retry), not a failure
    """A write outside a transaction touched a document an open transaction holds; wait and retry."""

    def __init__(self, txn: Transaction) -> None:
        super().__init__("document locked by an open transaction")
        self.txn = txn


class LockTable:
    """Who holds which document and unique key until commit or abort (first writer wins, as in mongod)."""

    def __init__(self) -> None:
        self.doc_locks: dict[tuple[Namespace, IdKey], Transaction] = {}
        self.unique_locks: dict[tuple[Namespace, str, Any], Transaction] = {}

    def check_unlocked(
        self, namespace: Namespace, idkey: IdKey, after: dict[str, Any] | None, coll: Collection
    ) -> None:
        holder = self.doc_locks.get((namespace, idkey))
        if holder is not None:
            raise TxnLockBusy(holder)
        if after is not None:
            for index in coll.indexes.values():
                if index.spec.unique:
                    for key, _raw in index.keys_for(after):
                        holder = self.unique_locks.get((namespace, index.spec.name, key))
                        if holder is not None:
                            raise TxnLockBusy(holder)

    def lock_for_txn(
        self,
        txn: Transaction,
        coll: Collection,
        namespace: Namespace,
        idkey: IdKey,
        inserting: bool,
        after: dict[str, Any] | None,
    ) -> None:
        holder = self.doc_locks.get((namespace, idkey))
        if holder is not None and holder is not txn:
            raise WriteConflictError()
        head = coll.records.get(idkey)
        if head is not None and head.seq > txn.snapshot:
            raise WriteConflictError()
        overlay = txn.overlay_for(namespace)
        if inserting and (
            overlay.get(idkey) is not None or (idkey not in overlay and coll.get(idkey, txn.snapshot))
        ):
            raise coll.id_duplicate_error(after["_id"] if after else None)
        if after is not None:
            self.check_unique(coll, idkey, after, overlay=overlay, txn=txn)
        self.doc_locks[(namespace, idkey)] = txn
        txn.locked.add((namespace, idkey))

    def check_unique(
        self,
        coll: Collection,
        idkey: IdKey,
        doc: dict[str, Any],
        overlay: dict[IdKey, dict[str, Any] | None] | None,
        txn: Transaction | None = None,
    ) -> None:
        namespace = (coll.db, coll.name)
        for index, other, raw in coll.unique_conflicts(idkey, doc):
            if overlay is not None and other in overlay:
                continue  # this transaction already changed or deleted that document
            if txn is not None and (
                coll.records[other].seq > txn.snapshot or (namespace, other) in self.doc_locks
            ):
                raise WriteConflictError()
            raise index.duplicate_error(coll.namespace, raw)
        if txn is None or overlay is None:
            return
        for index in coll.indexes.values():
            if not index.spec.unique:
                continue
            for key, raw in index.keys_for(doc):
                for other, other_doc in overlay.items():
                    if other != idkey and other_doc is not None and key in dict(index.keys_for(other_doc)):
                        raise index.duplicate_error(coll.namespace, raw)
                lock = (namespace, index.spec.name, key)
                holder = self.unique_locks.get(lock)
                if holder is not None and holder is not txn:
                    raise WriteConflictError()
                self.unique_locks[lock] = txn
                txn.unique_locks.add(lock)

    def release(self, txn: Transaction) -> None:
        for lock in txn.locked:
            if self.doc_locks.get(lock) is txn:
                del self.doc_locks[lock]
        for ulock in txn.unique_locks:
            if self.unique_locks.get(ulock) is txn:
                del self.unique_locks[ulock]
