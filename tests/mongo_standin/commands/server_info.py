"""Stand-in commands: what tools and test harnesses ask a server about itself (status, options, logs)."""

from __future__ import annotations

import datetime
import os
import platform
import socket
import time
from typing import Any

from bson import Int64

from tests.mongo_standin.commands import Context, command
from tests.mongo_standin.commands.admin import MAX_WIRE_VERSION, REPLICA_SET, VERSION
from tests.mongo_standin.errors import CommandError
from tests.mongo_standin.history import wall_time
from tests.mongo_standin.serverlog import RING
from tests.mongo_standin.transactions import TRANSACTION_LIFETIME_SECONDS

# Server parameters getParameter reports (the stand-in's fixed settings, as mongod names them).
PARAMETERS: dict[str, Any] = {
    "enableTestCommands": True,
    "featureCompatibilityVersion": {"version": "7.0"},
    "transactionLifetimeLimitSeconds": int(TRANSACTION_LIFETIME_SECONDS),
    "maxTransactionLockRequestTimeoutMillis": 5,
    "authenticationMechanisms": [],
    "requireApiVersion": False,
    "logicalSessionRefreshMillis": 300_000,
    "localLogicalSessionTimeoutMinutes": 30,
    "changeStreamOptions": {"preAndPostImages": {"expireAfterSeconds": "off"}},
    "storageEngine": "standin",
}


def _uptime(ctx: Context) -> float:
    return time.time() - ctx.engine.started_at


@command("getCmdLineOpts", admin_only=True)
def get_cmd_line_opts(ctx: Context) -> dict[str, Any]:
    return {"argv": list(ctx.engine.options["argv"]), "parsed": dict(ctx.engine.options["parsed"]), "ok": 1.0}


@command("getParameter", fields=("*",), admin_only=True)  # each other field names a parameter
def get_parameter(ctx: Context) -> dict[str, Any]:
    if ctx.target == "*" or ctx.body.get("allParameters"):
        return {**PARAMETERS, "ok": 1.0}
    wanted = [k for k in ctx.body if k in PARAMETERS]
    if not wanted:
        raise CommandError("no option found to get", code=72)
    return {**{k: PARAMETERS[k] for k in wanted}, "ok": 1.0}


SECTIONS = ("repl", "metrics", "locks", "wiredTiger", "mirroredReads", "tcmalloc", "sharding", "opcounters")


@command("serverStatus", fields=SECTIONS)
def server_status(ctx: Context) -> dict[str, Any]:
    engine, counters = ctx.engine, ctx.engine.counters
    uptime = _uptime(ctx)
    return {
        "host": socket.gethostname(),
        "version": VERSION,
        "process": "mongod",
        "pid": Int64(os.getpid()),
        "uptime": float(int(uptime)),
        "uptimeMillis": Int64(int(uptime * 1000)),
        "uptimeEstimate": Int64(int(uptime)),
        "localTime": wall_time(),
        "connections": {
            "current": len(engine.connections),
            "available": 1_000_000,
            "totalCreated": counters["connections_created"],
        },
        "storageEngine": {
            "name": "standin",
            "supportsCommittedReads": True,
            "persistent": engine.journal is not None,
        },
        "transactions": {
            "currentActive": Int64(len(engine.active_txns)),
            "currentOpen": Int64(len(engine.active_txns)),
            "totalStarted": Int64(counters["transactions_started"]),
            "totalCommitted": Int64(counters["transactions_committed"]),
            "totalAborted": Int64(counters["transactions_aborted"]),
        },
        "repl": {"setName": REPLICA_SET, "isWritablePrimary": True, "secondary": False},
        "ok": 1.0,
    }


@command("replSetGetStatus", fields=("initialSync",), admin_only=True)
def repl_set_get_status(ctx: Context) -> dict[str, Any]:
    op_time = {"ts": ctx.engine.clock.last, "t": Int64(1)}
    now = wall_time()
    member = {
        "_id": 0,
        "name": f"{ctx.conn.host}:{ctx.conn.port}",
        "health": 1.0,
        "state": 1,
        "stateStr": "PRIMARY",
        "uptime": int(_uptime(ctx)),
        "optime": op_time,
        "optimeDate": now,
        "electionId": ctx.engine.election_id,
        "configVersion": 1,
        "self": True,
    }
    return {
        "set": REPLICA_SET,
        "date": now,
        "myState": 1,
        "term": Int64(1),
        "heartbeatIntervalMillis": Int64(2000),
        "optimes": {"lastCommittedOpTime": op_time, "appliedOpTime": op_time, "durableOpTime": op_time},
        "members": [member],
        "ok": 1.0,
    }


@command("hostInfo")
def host_info(ctx: Context) -> dict[str, Any]:
    uname = platform.uname()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    return {
        "system": {
            "currentTime": datetime.datetime.now(datetime.UTC).replace(tzinfo=None),
            "hostname": socket.gethostname(),
            "cpuAddrSize": 64,
            "memSizeMB": Int64(memory),
            "numCores": os.cpu_count() or 1,
            "cpuArch": uname.machine,
            "numaEnabled": False,
        },
        "os": {"type": uname.system, "name": uname.system, "version": uname.release},
        "extra": {"maxWireVersion": MAX_WIRE_VERSION},
        "ok": 1.0,
    }


@command("connectionStatus", fields=("showPrivileges",))
def connection_status(ctx: Context) -> dict[str, Any]:
    auth_info: dict[str, Any] = {"authenticatedUsers": [], "authenticatedUserRoles": []}
    if ctx.body.get("showPrivileges"):
        auth_info["authenticatedUserPrivileges"] = []
    return {"authInfo": auth_info, "ok": 1.0}


@command("getLog", admin_only=True)
def get_log(ctx: Context) -> dict[str, Any]:
    name = ctx.target
    if name == "*":
        return {"names": ["global", "startupWarnings"], "ok": 1.0}
    if name == "startupWarnings":
        return {"totalLinesWritten": 0, "log": [], "ok": 1.0}
    if name == "global":
        return {"totalLinesWritten": RING.total, "log": list(RING.lines), "ok": 1.0}
    raise CommandError(f"No log named '{name}'", code=2)
