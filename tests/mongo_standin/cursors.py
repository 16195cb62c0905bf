"""Stand-in reads: server-side cursors over materialised result lists (find, aggregate, listings)."""

from __future__ import annotations

import itertools
import random
from typing import Any, Protocol

import bson
from bson import Int64
from bson.raw_bson import RawBSONDocument

from tests.mongo_standin.errors import CursorNotFoundError
from tests.mongo_standin.wire import CODEC

DEFAULT_FIRST_BATCH = 101
MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024


class Cursor(Protocol):
    cursor_id: int
    namespace: str

    def next_batch(self, ctx: Any, batch_size: int | None) -> list[dict[str, Any]]: ...

    @property
    def exhausted(self) -> bool: ...


class ListCursor:
    """Results computed when the cursor opened; later writes don't change what it returns."""

    def __init__(self, cursor_id: int, namespace: str, docs: list[dict[str, Any]], limit: int = 0) -> None:
        self.cursor_id = cursor_id
        self.namespace = namespace
        self.docs = docs[:limit] if limit else docs
        self.limit_reached = bool(limit) and len(docs) >= limit
        self.position = 0
        self.at_end = False

    def next_batch(self, ctx: Any, batch_size: int | None) -> list[dict[str, Any]]:
        end = len(self.docs) if not batch_size else min(len(self.docs), self.position + batch_size)
        batch: list[Any] = []
        size = 0
        # Like mongod, stop a batch before the reply would outgrow a 16 MiB BSON document. Each
        # document is encoded once: the reply embeds the raw bytes measured here.
        while self.position < end:
            encoded = bson.encode(self.docs[self.position], codec_options=CODEC)
            size += len(encoded)
            if batch and size > MAX_BATCH_BYTES:
                break
            batch.append(RawBSONDocument(encoded))
            self.position += 1
        # Like mongod, a batch that filled up exactly at the last result does not know it was the
        # last: the cursor stays open and the next getMore answers an empty batch and cursor id 0.
        if self.position >= len(self.docs) and (
            not batch_size or len(batch) < batch_size or self.limit_reached
        ):
            self.at_end = True
        return batch

    @property
    def exhausted(self) -> bool:
        return self.at_end


class CursorRegistry:
    def __init__(self) -> None:
        self.cursors: dict[int, Cursor] = {}
        self.owners: dict[int, bytes] = {}  # cursor id -> key of the session that opened it
        self._ids = itertools.count(random.randint(1, 2**40))

    def new_id(self) -> int:
        return next(self._ids)

    def add(self, cursor: Cursor, owner: bytes | None = None) -> None:
        self.cursors[cursor.cursor_id] = cursor
        if owner is not None:
            self.owners[cursor.cursor_id] = owner

    def kill_owned_by(self, owners: set[bytes] | None) -> None:
        """Close the cursors of these sessions (of every session, for None)."""
        for cursor_id, owner in list(self.owners.items()):
            if owners is None or owner in owners:
                self.kill(cursor_id)

    def get(self, cursor_id: int) -> Cursor:
        cursor = self.cursors.get(int(cursor_id))
        if cursor is None:
            raise CursorNotFoundError(f"cursor id {cursor_id} not found")
        return cursor

    def kill(self, cursor_id: int) -> bool:
        self.owners.pop(int(cursor_id), None)
        return self.cursors.pop(int(cursor_id), None) is not None


def cursor_reply(
    cursor_id: int,
    namespace: str,
    batch: list[dict[str, Any]],
    first: bool,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": Int64(cursor_id),
        "ns": namespace,
        "firstBatch" if first else "nextBatch": batch,
    }
    if extra:
        body.update(extra)
    return {"cursor": body, "ok": 1.0}


def open_cursor(
    ctx: Any,
    namespace: str,
    docs: list[dict[str, Any]],
    batch_size: int | None,
    limit: int = 0,
    single_batch: bool = False,
) -> dict[str, Any]:
    """Answer the first batch; keep a cursor only if more remains."""
    cursor = ListCursor(ctx.engine.cursors.new_id(), namespace, docs, limit)
    batch = [] if batch_size == 0 else cursor.next_batch(ctx, batch_size or DEFAULT_FIRST_BATCH)
    if cursor.exhausted or single_batch:
        return cursor_reply(0, namespace, batch, first=True)
    ctx.engine.cursors.add(cursor, ctx.session.key if ctx.session is not None else None)
    return cursor_reply(cursor.cursor_id, namespace, batch, first=True)
