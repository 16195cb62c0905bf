"""Stand-in change streams: open a $changeStream aggregate and serve its cursor (resume, wait, filter)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from bson import Int64

from tests.mongo_standin.aggregate import run_pipeline, stage_name
from tests.mongo_standin.errors import (
    BadValueError,
    CommandError,
    InvalidResumeTokenError,
)
from tests.mongo_standin.event_shape import (
    BEFORE_CHANGE_MODES,
    FULL_DOCUMENT_MODES,
    StreamOptions,
    shape_event,
)
from tests.mongo_standin.history import make_token, parse_token

if TYPE_CHECKING:
    from tests.mongo_standin.commands import Context

STAGE_OPTIONS = frozenset(
    {
        "fullDocument",
        "fullDocumentBeforeChange",
        "resumeAfter",
        "startAfter",
        "startAtOperationTime",
        "allChangesForCluster",
        "showExpandedEvents",
    }
)
ALLOWED_STAGES = frozenset(
    {"$match", "$project", "$addFields", "$set", "$unset", "$replaceRoot", "$replaceWith"}
)
DEFAULT_AWAIT_MS = 1000


class ChangeStreamCursor:
    """A position in the event history plus the stream's scope, options and user stages."""

    change_stream = True

    def __init__(
        self,
        cursor_id: int,
        namespace: str,
        db: str,
        coll: str | None,
        cluster: bool,
        position: int,
        stages: list[Any],
        options: StreamOptions,
    ) -> None:
        self.cursor_id = cursor_id
        self.namespace = namespace
        self.db, self.coll, self.cluster = db, coll, cluster
        self.position = position
        self.stages = stages
        self.options = options
        self.token: dict[str, str] | None = None
        self.invalidated = False

    def _in_scope(self, event: dict[str, Any]) -> bool:
        kind, ns = event["operationType"], event.get("ns", {})
        if kind == "invalidate":
            if self.coll is not None:
                return ns == {"db": self.db, "coll": self.coll}
            return not self.cluster and ns == {"db": self.db}
        if self.cluster:
            return True
        if self.coll is None:
            return ns.get("db") == self.db
        return ns == {"db": self.db, "coll": self.coll}

    def _deliver(self, ctx: Context, event: dict[str, Any]) -> dict[str, Any] | None:
        out = shape_event(ctx.engine, event, self.options)
        if out is None or not self.stages:
            return out
        results = run_pipeline([out], self.stages)
        if not results:
            return None
        if results[0].get("_id") != event["_id"]:
            raise CommandError(
                "Encountered an event whose _id field, which contains the resume token, was modified "
                "by the pipeline. Modifying the _id field of an event makes it impossible to resume "
                "the stream from that point.",
                code=280,
            )
        return results[0]

    def collect(self, ctx: Context, limit: int | None) -> list[dict[str, Any]]:
        history = ctx.engine.history
        history.check_position(self.position)
        batch: list[dict[str, Any]] = []
        while not self.invalidated and (limit is None or len(batch) < limit):
            events = history.since(self.position, 1000)
            if not events:
                break
            for event in events:
                self.position = int(event["_id"]["_data"][18:34], 16)
                self.token = event["_id"]
                if not self._in_scope(event):
                    continue
                delivered = self._deliver(ctx, event)
                if delivered is not None:
                    batch.append(delivered)
                if event["operationType"] == "invalidate":
                    self.invalidated = True
                    break
                if limit is not None and len(batch) >= limit:
                    break
        return batch

    def next_batch(self, ctx: Context, batch_size: int | None) -> list[dict[str, Any]]:
        max_await = ctx.body.get("maxTimeMS") or DEFAULT_AWAIT_MS
        deadline = time.monotonic() + max_await / 1000
        while True:
            batch = self.collect(ctx, batch_size)
            remaining = deadline - time.monotonic()
            if batch or self.invalidated or remaining <= 0:
                return batch
            ctx.engine.cond.wait(remaining)  # releases the engine for everyone else meanwhile

    def reply_extra(self) -> dict[str, Any]:
        return {"postBatchResumeToken": self.token}

    @property
    def exhausted(self) -> bool:
        return self.invalidated


def _start_position(ctx: Context, options: dict[str, Any]) -> int:
    history = ctx.engine.history
    chosen = [k for k in ("resumeAfter", "startAfter", "startAtOperationTime") if options.get(k) is not None]
    if len(chosen) > 1:
        raise BadValueError("Only one type of resume option is allowed, but multiple were found.", code=40674)
    if not chosen:
        return history.last_number
    if chosen[0] == "startAtOperationTime":
        return history.position_at_time(options["startAtOperationTime"])
    _ts, number, invalidate = parse_token(options[chosen[0]])
    if invalidate and chosen[0] == "resumeAfter":
        raise InvalidResumeTokenError(
            "Attempting to resume a change stream using 'resumeAfter' is not allowed from an "
            "invalidate notification."
        )
    history.check_position(number)
    return number


def open_change_stream(ctx: Context, pipeline: list[Any]) -> dict[str, Any]:
    if ctx.txn is not None:
        raise CommandError(
            "Operation not permitted in transaction :: caused by :: Aggregation stage $changeStream "
            "cannot run within a multi-document transaction.",
            code=263,
        )
    level = (ctx.body.get("readConcern") or {}).get("level")
    if level is not None and level != "majority":
        # Only an absent readConcern is upgraded to majority; an explicit other level is refused.
        raise CommandError(
            "Aggregation stage $changeStream cannot run with a readConcern other than 'majority'. "
            f"Current readConcern: {level}",
            code=72,
        )
    options = pipeline[0]["$changeStream"]
    if not isinstance(options, dict):
        raise BadValueError("$changeStream stage expects a document as argument", code=50808)
    unknown = set(options) - STAGE_OPTIONS
    if unknown:
        raise CommandError(
            f"BSON field '$changeStream.{sorted(unknown)[0]}' is an unknown field.", code=40415
        )
    stream_options = _stream_options(options)
    for stage in pipeline[1:]:
        if stage_name(stage) not in ALLOWED_STAGES:
            raise CommandError(
                f"{stage_name(stage)} is not permitted in a $changeStream pipeline", code=ALLOWED_ERROR
            )
    cluster = bool(options.get("allChangesForCluster"))
    if cluster and ctx.db != "admin":
        raise CommandError(
            "A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database",
            code=ALLOWED_ERROR,
        )
    if ctx.target == 1:
        coll, namespace = None, f"{ctx.db}.$cmd.aggregate"
        if ctx.db == "admin" and not cluster:
            raise CommandError("$changeStream may not be opened on the internal admin database", code=73)
    else:
        coll = ctx.collection_name()
        namespace = f"{ctx.db}.{coll}"
    cursor_opts = ctx.body.get("cursor") or {}
    position = _start_position(ctx, options)
    cursor = ChangeStreamCursor(
        ctx.engine.cursors.new_id(), namespace, ctx.db, coll, cluster, position, pipeline[1:], stream_options
    )
    batch_size = cursor_opts.get("batchSize")
    batch = [] if batch_size == 0 else cursor.collect(ctx, batch_size)
    if cursor.token is None:
        cursor.token = make_token(ctx.engine.clock.last, position)
    ctx.engine.cursors.add(cursor, ctx.session.key if ctx.session is not None else None)
    cursor_id = 0 if cursor.invalidated else cursor.cursor_id
    return {
        "cursor": {
            "firstBatch": batch,
            "postBatchResumeToken": cursor.token,
            "id": Int64(cursor_id),
            "ns": namespace,
        },
        "ok": 1.0,
    }


ALLOWED_ERROR = 40602


def _stream_options(options: dict[str, Any]) -> StreamOptions:
    full_document = options.get("fullDocument", "default")
    if full_document not in FULL_DOCUMENT_MODES:
        raise BadValueError(
            f"Enumeration value '{full_document}' for field '$changeStream.fullDocument' is not a valid "
            "value."
        )
    before = options.get("fullDocumentBeforeChange", "off")
    if before not in BEFORE_CHANGE_MODES:
        raise BadValueError(
            f"Enumeration value '{before}' for field '$changeStream.fullDocumentBeforeChange' is not a valid "
            "value."
        )
    return StreamOptions(full_document, before, bool(options.get("showExpandedEvents")))
