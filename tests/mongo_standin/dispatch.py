"""Stand-in commands: run one command — fail points, sessions, transactions, retryable writes, replies."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from tests.mongo_standin import readconcern
from tests.mongo_standin.commands import COMMANDS, Context, check_fields
from tests.mongo_standin.errors import (
    CloseConnection,
    CommandError,
    CommandNotFoundError,
)
from tests.mongo_standin.labels import TXN_CONTROL, error_labels
from tests.mongo_standin.transactions import Transaction, no_such_transaction

if TYPE_CHECKING:
    from tests.mongo_standin.engine import Engine
    from tests.mongo_standin.server import Connection

log = logging.getLogger(__name__)


def run_command(engine: Engine, conn: Connection, body: dict[str, Any]) -> dict[str, Any]:
    if not body:
        return _decorate(engine, CommandError("empty command", code=59).to_reply())
    name = next(iter(body))
    action = engine_failpoint(engine, name, conn)
    if action is not None:
        if action.block_seconds:
            time.sleep(action.block_seconds)
        if action.close_connection:
            raise CloseConnection()
        if action.error_code is not None:
            reply = CommandError(
                f"Failing command {name} due to failCommand fail point", code=action.error_code
            ).to_reply()
            with engine.cond:
                # Failed before any cursor is checked out: never a resumable change-stream error.
                _label(engine, name, body, reply, action.error_labels, change_stream=False)
                return _decorate(engine, reply)
    with engine.cond:
        return _run_locked(engine, conn, name, body, action)


def _run_locked(
    engine: Engine, conn: Connection, name: str, body: dict[str, Any], action: Any
) -> dict[str, Any]:
    try:
        reply = _execute(engine, conn, name, body)
    except CommandError as exc:
        reply = exc.to_reply()
    except CloseConnection:
        raise
    except Exception as exc:  # a stand-in bug must reach the test as a failure, not a hang
        log.exception("internal error in %s", name)
        reply = CommandError(f"stand-in internal error in {name}: {exc!r}", code=1).to_reply()
    if reply.get("ok") and not _satisfiable(body.get("writeConcern")):
        reply["writeConcernError"] = {
            "code": 100,
            "codeName": "UnsatisfiableWriteConcern",
            "errmsg": "Not enough data-bearing nodes",
        }
    forced_labels = None
    if action is not None and action.write_concern_error is not None and reply.get("ok"):
        reply = dict(reply, writeConcernError=action.write_concern_error)
        forced_labels = action.error_labels
    _label(engine, name, body, reply, forced_labels)
    return _decorate(engine, reply)


def _label(
    engine: Engine,
    name: str,
    body: dict[str, Any],
    reply: dict[str, Any],
    forced: list[str] | None,
    change_stream: bool | None = None,
) -> None:
    """Attach mongod's error labels; a fail point's own errorLabels replace the computed ones."""
    code = None if reply.get("ok") else reply.get("code")
    wce = reply.get("writeConcernError")
    if code is None and wce is None:
        return
    if forced is not None:
        labels = list(forced)
    else:
        wc_code = wce.get("code") if isinstance(wce, dict) else None
        if change_stream is None:
            change_stream = _is_change_stream(engine, name, body)
        computed = error_labels(name, body, code, wc_code, change_stream)
        labels = list(dict.fromkeys([*reply.get("errorLabels", []), *computed]))
    if labels:
        reply["errorLabels"] = labels
    else:
        reply.pop("errorLabels", None)


def _is_change_stream(engine: Engine, name: str, body: dict[str, Any]) -> bool:
    if name == "aggregate":
        pipeline = body.get("pipeline")
        return isinstance(pipeline, list) and bool(pipeline) and "$changeStream" in (pipeline[0] or {})
    if name == "getMore" and isinstance(body.get("getMore"), int):
        return getattr(engine.cursors.cursors.get(int(body["getMore"])), "change_stream", False)
    return False


def engine_failpoint(engine: Engine, name: str, conn: Connection) -> Any:
    with engine.cond:
        return engine.fail_command.check(name, conn.app_name)


def _execute(engine: Engine, conn: Connection, name: str, body: dict[str, Any]) -> dict[str, Any]:
    spec = COMMANDS.get(name)
    if spec is None:
        raise CommandNotFoundError(f"no such command: '{name}'")
    check_fields(spec, body)
    db = body.get("$db")
    if not isinstance(db, str):
        raise CommandError("OP_MSG requests require a $db argument", code=40571)
    if spec.admin_only and db != "admin":
        raise CommandError(f"{name} may only be run against the admin database.", code=13)
    ctx = Context(engine, conn, name, body, db)
    if "maxTimeMS" in body and engine.failpoints["maxTimeAlwaysTimeOut"].fire() is not None:
        raise CommandError("operation exceeded time limit", code=50)
    lsid = body.get("lsid")
    if lsid is not None:
        ctx.session = engine.sessions.get(lsid)
    engine.reap_expired()
    if body.get("autocommit") is False or (name in TXN_CONTROL and "txnNumber" in body):
        return _in_transaction(ctx, spec)
    if "startTransaction" in body or "autocommit" in body:
        raise CommandError("autocommit must be false with startTransaction", code=50768)
    snapshot_at = readconcern.outside_transaction(ctx)
    if "txnNumber" in body:
        return _retryable_write(ctx, spec)
    try:
        reply = spec.handler(ctx)
    finally:
        engine.flush(ctx.unit)
    if snapshot_at is not None:
        readconcern.report_cluster_time(reply, snapshot_at)
    return reply


def _retryable_write(ctx: Context, spec: Any) -> dict[str, Any]:
    session = ctx.session
    if session is None:
        raise CommandError("Transaction number requires a session ID (lsid)", code=50)
    if not spec.retryable_write:
        raise CommandError(
            f"txnNumber may only be provided for multi-statement transactions and retryable write "
            f"commands; {ctx.name} is neither",
            code=50768,
        )
    number = int(ctx.body["txnNumber"])
    if number < session.txn_number:
        raise CommandError(
            f"Retryable write with txnNumber {number} is prohibited on session because a newer "
            f"retryable write or transaction with txnNumber {session.txn_number} has already started",
            code=225,
        )
    if number == session.txn_number and number in session.retry_replies:
        return dict(session.retry_replies[number])
    if session.txn is not None and session.txn.state == Transaction.ACTIVE:
        ctx.engine.abort(session.txn)
    session.txn_number = number
    fault = ctx.engine.failpoints["onPrimaryTransactionalWrite"].fire()
    if fault is not None and "failBeforeCommitExceptionCode" in fault.data:
        if fault.data.get("closeConnection", True):
            raise CloseConnection()
        raise CommandError(
            f"Failing write for txnNumber {number} due to failpoint. The write must not be reflected.",
            code=int(fault.data["failBeforeCommitExceptionCode"]),
        )
    reply: dict[str, Any] | None = None
    try:
        reply = spec.handler(ctx)
    finally:
        if reply is not None:
            session.retry_replies = {number: dict(reply)}
            ctx.unit.retry = {"lsid": session.lsid, "txnNumber": number, "reply": dict(reply)}
        ctx.engine.flush(ctx.unit)
    if fault is not None and fault.data.get("closeConnection", True):
        raise CloseConnection()  # applied and journaled, but the client never hears of it
    return reply


def _in_transaction(ctx: Context, spec: Any) -> dict[str, Any]:
    session, body, engine = ctx.session, ctx.body, ctx.engine
    if session is None or "txnNumber" not in body:
        raise CommandError(
            "Transactions need a session (lsid) and a txnNumber", code=50768 if session else 50
        )
    if body.get("autocommit") is not False:
        raise CommandError("autocommit: false is required in a transaction", code=50768)
    number = int(body["txnNumber"])
    if number < session.txn_number:
        raise CommandError(
            f"txnNumber {number} is less than last txnNumber {session.txn_number} seen in session", code=225
        )
    if body.get("startTransaction"):
        if number == session.txn_number:
            raise CommandError(f"Transaction with txnNumber {number} has already been started", code=50911)
        if name_is_txn_control(ctx.name):
            raise CommandError(f"Cannot start a transaction with a {ctx.name} command", code=50768)
        snapshot = readconcern.transaction_snapshot(engine, body.get("readConcern"))
        if session.txn is not None:
            engine.abort(session.txn)
        session.txn_number = number
        session.txn = Transaction(session, number, snapshot)
        engine.begin(session.txn)
    elif "readConcern" in body and not name_is_txn_control(ctx.name):
        raise CommandError("Only the first command in a transaction may specify a readConcern", code=72)
    txn = session.txn
    if txn is None or txn.number != number:
        session.txn_number = max(session.txn_number, number)
        raise no_such_transaction(session, number)
    ctx.txn = txn
    if name_is_txn_control(ctx.name):
        return spec.handler(ctx)
    if txn.state != Transaction.ACTIVE:
        if txn.state == Transaction.COMMITTED:
            raise CommandError(f"Transaction {number} has been committed.", code=256)
        raise no_such_transaction(session, number)
    if not spec.in_transaction:
        raise CommandError(f"Cannot run '{ctx.name}' in a multi-document transaction.", code=263)
    try:
        return spec.handler(ctx)
    except CommandError:
        engine.abort(txn)  # as mongod does: a failed statement aborts the whole transaction
        raise


def name_is_txn_control(name: str) -> bool:
    return name in TXN_CONTROL


def _satisfiable(write_concern: Any) -> bool:
    """A single node satisfies w: 0, 1 and "majority"; more nodes or tag sets it cannot."""
    if not isinstance(write_concern, dict):
        return True
    w = write_concern.get("w", 1)
    return w in (0, 1, "majority") and not isinstance(w, bool)


def _decorate(engine: Engine, reply: dict[str, Any]) -> dict[str, Any]:
    ts = engine.clock.last
    reply["operationTime"] = ts
    reply["$clusterTime"] = {"clusterTime": ts, "signature": {"hash": b"\x00" * 20, "keyId": 0}}
    return reply
