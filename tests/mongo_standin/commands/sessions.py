"""Stand-in commands: ending and killing sessions, and currentOp (what test runners clean up with)."""

from __future__ import annotations

from typing import Any

from tests.mongo_standin.commands import GENERIC_FIELDS, Context, command
from tests.mongo_standin.errors import BadValueError
from tests.mongo_standin.query import compile_filter
from tests.mongo_standin.transactions import Session, Transaction, session_key

CURRENT_OP_OPTIONS = frozenset(
    {"$all", "$ownOps", "idleConnections", "idleSessions", "idleCursors", "backtrace"}
)


def _sessions_named(ctx: Context) -> list[Session]:
    lsids = ctx.target
    if not isinstance(lsids, list):
        raise BadValueError(f"{ctx.name} needs an array of session ids", code=14)
    keys = {session_key(lsid) for lsid in lsids}
    return [s for s in ctx.engine.sessions.sessions.values() if s.key in keys]


def _kill(ctx: Context, sessions: list[Session], owners: set[bytes] | None) -> None:
    """Abort the sessions' open transactions and close their cursors, as mongod's kill does."""
    for session in sessions:
        if session.txn is not None:
            ctx.engine.abort(session.txn)
    ctx.engine.cursors.kill_owned_by(owners)


@command("endSessions")
def end_sessions(ctx: Context) -> dict[str, Any]:
    sessions = _sessions_named(ctx)
    _kill(ctx, sessions, {s.key for s in sessions})
    for session in sessions:
        ctx.engine.sessions.end(session.lsid)
    return {"ok": 1.0}


@command("killSessions")
def kill_sessions(ctx: Context) -> dict[str, Any]:
    sessions = _sessions_named(ctx)
    _kill(ctx, sessions, {s.key for s in sessions})
    return {"ok": 1.0}


@command("killAllSessions", "killAllSessionsByPattern")
def kill_all_sessions(ctx: Context) -> dict[str, Any]:
    """Every session, whoever its user: the stand-in has no users, so every pattern matches all."""
    if not isinstance(ctx.target, list):
        raise BadValueError(f"{ctx.name} needs an array of user patterns", code=14)
    _kill(ctx, list(ctx.engine.sessions.sessions.values()), None)
    return {"ok": 1.0}


@command("currentOp", fields=("*",), admin_only=True)  # every other field is a filter
def current_op(ctx: Context) -> dict[str, Any]:
    """The running command itself, plus (idleSessions, on by default) sessions with an open transaction."""
    filters = {
        k: v
        for k, v in ctx.body.items()
        if k not in CURRENT_OP_OPTIONS and k not in GENERIC_FIELDS and k != ctx.name
    }
    ops = [_this_op(ctx)]
    if ctx.body.get("idleSessions", True):
        ops += [_idle(txn) for txn in ctx.engine.active_txns if txn.state == Transaction.ACTIVE]
    predicate = compile_filter(filters)
    return {"inprog": [op for op in ops if predicate(op)], "ok": 1.0}


def _this_op(ctx: Context) -> dict[str, Any]:
    op: dict[str, Any] = {
        "type": "op",
        "host": f"{ctx.conn.host}:{ctx.conn.port}",
        "desc": f"conn{ctx.conn.connection_id}",
        "connectionId": ctx.conn.connection_id,
        "client": "127.0.0.1",
        "active": True,
        "op": "command",
        "ns": "admin.$cmd.aggregate",
        "command": {k: v for k, v in ctx.body.items() if k != "lsid"},
    }
    if ctx.conn.app_name:
        op["appName"] = ctx.conn.app_name
    if ctx.session is not None:
        op["lsid"] = ctx.session.lsid
    return op


def _idle(txn: Transaction) -> dict[str, Any]:
    return {
        "type": "idleSession",
        "active": False,
        "lsid": txn.session.lsid,
        "transaction": {"parameters": {"txnNumber": txn.number, "autocommit": False}},
    }
