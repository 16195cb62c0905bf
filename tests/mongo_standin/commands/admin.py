"""Stand-in commands: handshake and administration (hello, ping, buildInfo, sessions, fail points)."""

from __future__ import annotations

import datetime
from typing import Any

from bson import Int64

from tests.mongo_standin.commands import Context, command
from tests.mongo_standin.errors import BadValueError, NotImplementedByStandinError
from tests.mongo_standin.history import wall_time

REPLICA_SET = "rs0"
MAX_WIRE_VERSION = 21  # MongoDB 7.0
VERSION = "7.0.0"
HELLO_FIELDS = (
    "helloOk",
    "client",
    "compression",
    "saslSupportedMechs",
    "speculativeAuthenticate",
    "topologyVersion",
    "maxAwaitTimeMS",
    "loadBalanced",
    "hostInfo",
    "backpressure",
    "hello",
    "isMaster",
    "ismaster",
)


@command("hello", "isMaster", "ismaster", fields=HELLO_FIELDS)
def hello(ctx: Context) -> dict[str, Any]:
    client = ctx.body.get("client")
    if isinstance(client, dict):
        ctx.conn.app_name = (client.get("application") or {}).get("name")
    if ctx.body.get("loadBalanced"):
        raise BadValueError("The stand-in is a replica set, not behind a load balancer", code=89)
    me = f"{ctx.conn.host}:{ctx.conn.port}"
    # No topologyVersion: pymongo then polls hello instead of streaming it (see README).
    reply: dict[str, Any] = {
        "isWritablePrimary" if ctx.name == "hello" else "ismaster": True,
        "topologyVersion": None,
        "hosts": [me],
        "setName": REPLICA_SET,
        "setVersion": 1,
        "secondary": False,
        "primary": me,
        "me": me,
        "electionId": ctx.engine.election_id,
        "lastWrite": {
            "opTime": {"ts": ctx.engine.clock.last, "t": Int64(1)},
            "lastWriteDate": wall_time(),
            "majorityOpTime": {"ts": ctx.engine.clock.last, "t": Int64(1)},
            "majorityWriteDate": wall_time(),
        },
        "maxBsonObjectSize": 16 * 1024 * 1024,
        "maxMessageSizeBytes": 48_000_000,
        "maxWriteBatchSize": 100_000,
        "localTime": datetime.datetime.now(datetime.UTC).replace(tzinfo=None),
        "logicalSessionTimeoutMinutes": 30,
        "connectionId": ctx.conn.connection_id,
        "minWireVersion": 0,
        "maxWireVersion": MAX_WIRE_VERSION,
        "readOnly": False,
        "ok": 1.0,
    }
    del reply["topologyVersion"]
    if ctx.name != "hello" and ctx.body.get("helloOk"):
        reply["helloOk"] = True
    return reply


@command("ping")
def ping(ctx: Context) -> dict[str, Any]:
    return {"ok": 1.0}


@command("buildInfo", "buildinfo")
def build_info(ctx: Context) -> dict[str, Any]:
    return {
        "version": VERSION,
        "gitVersion": "mongo-standin",
        "versionArray": [7, 0, 0, 0],
        "modules": [],
        "bits": 64,
        "debug": False,
        "maxBsonObjectSize": 16 * 1024 * 1024,
        "storageEngines": ["standin"],
        "ok": 1.0,
    }


@command("listDatabases", fields=("nameOnly", "filter", "authorizedDatabases"), admin_only=True)
def list_databases(ctx: Context) -> dict[str, Any]:
    if ctx.body.get("filter"):
        raise NotImplementedByStandinError("listDatabases filter")
    names = sorted(db for db, colls in ctx.engine.catalog.items() if colls)
    if ctx.body.get("nameOnly"):
        return {"databases": [{"name": n} for n in names], "ok": 1.0}
    dbs = [{"name": n, "sizeOnDisk": 0, "empty": False} for n in names]
    return {"databases": dbs, "totalSize": 0, "ok": 1.0}


@command("configureFailPoint", fields=("mode", "data"), admin_only=True)
def configure_fail_point(ctx: Context) -> dict[str, Any]:
    point = ctx.engine.failpoints.get(ctx.target)
    if point is None:
        names = ", ".join(sorted(ctx.engine.failpoints))
        raise NotImplementedByStandinError(f"fail point {ctx.target!r} (the stand-in has {names})")
    count = point.configure(ctx.body.get("mode"), ctx.body.get("data"))
    return {"count": count, "ok": 1.0}
