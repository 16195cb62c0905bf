"""Stand-in commands: read concerns, and snapshot reads (atClusterTime) in or out of transactions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bson import Timestamp

from tests.mongo_standin.errors import CommandError

if TYPE_CHECKING:
    from tests.mongo_standin.commands import Context
    from tests.mongo_standin.engine import Engine

LEVELS = ("local", "majority", "available", "linearizable", "snapshot")
TRANSACTION_LEVELS = ("local", "majority", "snapshot")
SNAPSHOT_COMMANDS = frozenset({"find", "aggregate", "distinct"})
FIELDS = frozenset({"level", "afterClusterTime", "atClusterTime", "provenance", "afterOpTime"})


def transaction_snapshot(engine: Engine, read_concern: Any) -> int:
    """The write sequence a starting transaction reads at: now, or its snapshot's atClusterTime."""
    if read_concern is None:
        return engine.seq
    level = read_concern.get("level", "local")
    if level not in TRANSACTION_LEVELS:
        raise CommandError(
            f"The readConcern level must be either 'local', 'majority' or 'snapshot' in a "
            f"transaction, not {level!r}",
            code=72,
        )
    _check_fields(read_concern, level)
    at = read_concern.get("atClusterTime")
    return engine.seq if at is None else engine.snapshots.seq_at(at, engine.seq, engine.seq_ts)


def outside_transaction(ctx: Context) -> Timestamp | None:
    """Every level is met by one node; a snapshot read gets a view at its cluster time (returned)."""
    read_concern = ctx.body.get("readConcern")
    if read_concern is None:
        return None
    level = read_concern.get("level", "local")
    if level not in LEVELS:
        raise CommandError(f"readConcern level {level!r} is not valid", code=9)
    _check_fields(read_concern, level)
    if level != "snapshot":
        return None
    if ctx.name not in SNAPSHOT_COMMANDS:
        raise CommandError(
            f'Command {ctx.name} does not support {{ readConcern: {{ level: "snapshot" }} }}', code=72
        )
    ctx.txn, at = ctx.engine.snapshot_reader(ctx.session, read_concern.get("atClusterTime"))
    return at


def report_cluster_time(reply: dict[str, Any], at: Timestamp) -> None:
    """A snapshot read tells the client the time it read at, so the session's next reads use it."""
    if isinstance(reply.get("cursor"), dict):
        reply["cursor"]["atClusterTime"] = at
    elif reply.get("ok"):
        reply["atClusterTime"] = at


def _check_fields(read_concern: dict[str, Any], level: str) -> None:
    unknown = set(read_concern) - FIELDS
    if unknown:
        raise CommandError(f"BSON field 'readConcern.{sorted(unknown)[0]}' is an unknown field.", code=40415)
    if "atClusterTime" in read_concern:
        if level != "snapshot":
            raise CommandError("readConcern atClusterTime is only valid with level snapshot", code=72)
        if "afterClusterTime" in read_concern:
            raise CommandError("readConcern atClusterTime and afterClusterTime cannot both be given", code=72)
        if not isinstance(read_concern["atClusterTime"], Timestamp):
            raise CommandError("readConcern atClusterTime must be a timestamp", code=14)
