"""Stand-in core: the shared server state — catalog, MVCC writes, transactions, journal and event history."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from bson import ObjectId, Timestamp

from tests.mongo_standin.catalog import CatalogMixin
from tests.mongo_standin.cursors import CursorRegistry
from tests.mongo_standin.errors import CommandError
from tests.mongo_standin.events import change_stub, finish_event
from tests.mongo_standin.failpoints import FailCommandPoint, make_fail_points
from tests.mongo_standin.history import ChangeHistory, ClusterClock, make_token, wall_time
from tests.mongo_standin.journal import Journal
from tests.mongo_standin.locks import LockTable
from tests.mongo_standin.query import Predicate, compile_filter
from tests.mongo_standin.snapshots import SnapshotPins
from tests.mongo_standin.storage import Collection, IdKey, id_key
from tests.mongo_standin.transactions import SessionRegistry, Transaction

Namespace = tuple[str, str]


class WriteUnit:
    """The journal operations and change events of one command outside a transaction."""

    def __init__(self) -> None:
        self.ops: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.retry: dict[str, Any] | None = None
        self.wall: Any = None  # one wall-clock time per command, read once (milliseconds anyway)


class Engine(CatalogMixin):
    """All state, guarded by one condition variable: commands hold it while they run, waiters release it."""

    def __init__(self, history_size: int = 100_000, dbpath: str | None = None) -> None:
        self.cond = threading.Condition(threading.RLock())
        self.catalog: dict[str, dict[str, Collection]] = {}
        self.seq = 0
        self.clock = ClusterClock()
        self.history = ChangeHistory(history_size)
        self.sessions = SessionRegistry()
        self.active_txns: set[Transaction] = set()
        self.locks = LockTable()
        self.election_id = ObjectId()
        self.cursors = CursorRegistry()
        self.failpoints = make_fail_points()
        self.fail_command = FailCommandPoint("failCommand")
        self.failpoints["failCommand"] = self.fail_command
        self.journal = Journal(dbpath) if dbpath else None
        self.replaying = False
        self.snapshots = SnapshotPins()
        self.seq_ts = Timestamp(0, 0)  # cluster time of the newest document write
        self.started_at = time.time()
        self.options: dict[str, Any] = {"argv": [], "parsed": {}}  # what getCmdLineOpts reports
        self.counters: Counter[str] = Counter()  # transactions and connections, for serverStatus
        self.connections: dict[int, Any] = {}
        if self.journal is not None:
            from tests.mongo_standin.recovery import replay_journal

            replay_journal(self, self.journal)
        self.clock.tick()

    # -- reads ---------------------------------------------------------------------------------

    def read(
        self,
        txn: Transaction | None,
        namespace: Namespace,
        spec: dict[str, Any] | None,
        predicate: Predicate | None = None,
    ) -> list[dict[str, Any]]:
        """Matching documents in natural order: committed state, or a snapshot plus own writes."""
        if predicate is None:
            predicate = compile_filter(spec)
        coll = self.collection(*namespace, txn)
        overlay = txn.overlay.get(namespace, {}) if txn is not None else {}
        snapshot = txn.snapshot if txn is not None else None
        out: list[dict[str, Any]] = []
        seen: set[IdKey] = set()
        if coll is not None:
            keys = coll.candidate_keys(spec)
            if keys is not None and snapshot is not None and coll.last_seq > snapshot:
                keys = None  # the indexes show commits newer than this snapshot
            # A filter on _id alone, answered by the _id index, matches exactly the documents found
            # (equal keys are BSON-equal values, and an _id is never an array).
            exact = keys is not None and spec is not None and len(spec) == 1 and "_id" in spec
            for idkey, doc in coll.scan(snapshot, keys):
                seen.add(idkey)
                if idkey in overlay:
                    changed = overlay[idkey]
                    if changed is None:
                        continue
                    doc = changed
                if exact or predicate(doc):
                    out.append(doc)
        for idkey, changed in overlay.items():
            if idkey not in seen and changed is not None and predicate(changed):
                out.append(changed)
        return out

    def visible(self, txn: Transaction | None, namespace: Namespace, idkey: IdKey) -> dict[str, Any] | None:
        if txn is not None:
            overlay = txn.overlay.get(namespace, {})
            if idkey in overlay:
                return overlay[idkey]
        coll = self.collection(*namespace, txn)
        if coll is None:
            return None
        return coll.get(idkey, txn.snapshot if txn is not None else None)

    # -- writes --------------------------------------------------------------------------------

    def write(
        self,
        unit: WriteUnit,
        txn: Transaction | None,
        coll: Collection,
        op: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        paths: list[str] | None = None,
        pipeline: bool = False,
    ) -> None:
        """Insert (before None), update/replace, or delete (after None) one document."""
        doc = after if after is not None else before
        assert doc is not None
        idkey = id_key(doc["_id"])
        namespace = (coll.db, coll.name)
        if txn is None:
            self.locks.check_unlocked(namespace, idkey, after, coll)
            if after is not None:
                self.locks.check_unique(coll, idkey, after, overlay=None)
            if before is None and coll.get(idkey) is not None:
                raise coll.id_duplicate_error(after["_id"] if after else None)
            self.seq += 1
            coll.write(idkey, after, self.seq, keep_history=bool(self.active_txns or self.snapshots.pins))
            if after is None:
                unit.ops.append({"o": "del", "db": coll.db, "coll": coll.name, "id": doc["_id"]})
            else:
                unit.ops.append({"o": "put", "db": coll.db, "coll": coll.name, "doc": after})
            self._event(unit, change_stub(op, coll, doc["_id"], after, before, paths, pipeline))
            return
        self.locks.lock_for_txn(txn, coll, namespace, idkey, before is None, after)
        txn.overlay_for(namespace)[idkey] = after
        txn.changes.append(change_stub(op, coll, doc["_id"], after, before, paths, pipeline))

    def _event(
        self,
        unit: WriteUnit,
        stub: dict[str, Any],
        invalidate: bool = False,
        ts: Any = None,
        txn: Transaction | None = None,
    ) -> None:
        ts = ts or self.clock.tick()
        number = self.history.next_number()
        txn_info = (txn.session.lsid, txn.number) if txn is not None else None
        if unit.wall is None:
            unit.wall = wall_time()
        unit.events.append(finish_event(stub, make_token(ts, number, invalidate), ts, unit.wall, txn_info))

    def flush(self, unit: WriteUnit) -> None:
        """Make a command's writes durable (journal fsync) and visible to change streams."""
        if not unit.ops and not unit.events and unit.retry is None:
            return
        if self.journal is not None and not self.replaying:
            self.journal.append(
                {
                    "seq": self.seq,
                    "ts": self.clock.last,
                    "ops": unit.ops,
                    "events": unit.events,
                    "retry": unit.retry,
                }
            )
        if unit.ops:
            self.seq_ts = self.clock.last
        for event in unit.events:
            self.history.append(event, int(event["_id"]["_data"][18:34], 16))
        unit.ops, unit.events, unit.wall = [], [], None
        self.cond.notify_all()

    # -- transactions --------------------------------------------------------------------------

    def begin(self, txn: Transaction) -> None:
        self.active_txns.add(txn)
        self.counters["transactions_started"] += 1

    def commit(self, txn: Transaction) -> None:
        unit = WriteUnit()
        for coll in txn.created.values():
            self._install(unit, coll)
        if txn.changes:
            self.seq += 1
            ts = self.clock.tick()
            for (db, name), overlay in txn.overlay.items():
                coll = self.ensure_collection(unit, db, name)
                for idkey, doc in overlay.items():
                    if doc is None:
                        unit.ops.append(
                            {"o": "del", "db": db, "coll": name, "id": idkey_id(coll, idkey, txn)}
                        )
                    keep = len(self.active_txns) > 1 or bool(self.snapshots.pins)
                    coll.write(idkey, doc, self.seq, keep_history=keep)
                    if doc is not None:
                        unit.ops.append({"o": "put", "db": db, "coll": name, "doc": doc})
            for stub in txn.changes:
                self._event(unit, stub, ts=ts, txn=txn)
        unit.retry = {"lsid": txn.session.lsid, "txnNumber": txn.number, "committed": True}
        txn.state = Transaction.COMMITTED
        self.counters["transactions_committed"] += 1
        self._release(txn)
        self.flush(unit)

    def abort(self, txn: Transaction) -> None:
        if txn.state == Transaction.ACTIVE:
            txn.state = Transaction.ABORTED
            self.counters["transactions_aborted"] += 1
            self._release(txn)
            self.cond.notify_all()

    def _release(self, txn: Transaction) -> None:
        self.locks.release(txn)
        self.active_txns.discard(txn)
        self._trim()

    def _trim(self) -> None:
        """Forget document versions that no open transaction or pinned snapshot can read."""
        readers = [t.snapshot for t in self.active_txns]
        pinned = self.snapshots.oldest()
        oldest = min([*readers, pinned] if pinned is not None else readers, default=None)
        for colls in self.catalog.values():
            for coll in colls.values():
                if coll.versioned:
                    coll.trim_history(oldest)

    def snapshot_reader(self, session: Any, at: Timestamp | None) -> tuple[Transaction, Timestamp]:
        """A read-only view at cluster time ``at`` (now, if None) for a snapshot read."""
        if at is None:
            at = self.clock.last
            self.snapshots.pin(at, self.seq)
            seq = self.seq
        else:
            seq = self.snapshots.seq_at(at, self.seq, self.seq_ts)
        return Transaction(session, -1, seq), at

    def reap_expired(self) -> None:
        if self.snapshots.expire():
            self._trim()
        for txn in list(self.active_txns):
            if txn.expired:
                self.abort(txn)

    def wait_for(self, txn: Transaction, deadline: float) -> None:
        while txn.state == Transaction.ACTIVE:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CommandError("operation exceeded time limit waiting for a transaction's lock", code=50)
            self.cond.wait(min(remaining, 0.25))
            self.reap_expired()


def idkey_id(coll: Collection, idkey: IdKey, txn: Transaction) -> Any:
    """The original _id value of a document a transaction deleted (from its snapshot version)."""
    doc = coll.get(idkey, txn.snapshot)
    if doc is not None:
        return doc["_id"]
    for change in txn.changes:
        key = change.get("documentKey")
        if key is not None and id_key(key["_id"]) == idkey:
            return key["_id"]
    raise CommandError("stand-in bug: cannot find the _id of a deleted document", code=1)
