"""Sync engine: reads the change stream in a background thread, so the applier takes what has arrived.

Smart batching (ADR 0017). The reader thread keeps a getMore outstanding on the change stream
and puts every change it receives into a bounded queue. The applier takes *everything already
in the queue* — never waiting for more while it has events in hand — and applies it as one
batch. Whatever arrives while that batch commits is queued meanwhile and makes the next batch:
one round trip when idle, full batches under load. ``max_await`` only bounds an idle poll.

Each item carries the stream's resume token as it stood right after that item was read, so the
token handed out with a batch never runs ahead of the events handed out (a checkpoint saved
with it skips nothing).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from pymongo.errors import InvalidOperation

Document = Mapping[str, Any]
Token = Mapping[str, Any]


class ChangeSource(Protocol):
    """What the reader needs of a pymongo ``ChangeStream``."""

    @property
    def alive(self) -> bool: ...

    @property
    def resume_token(self) -> Token | None: ...

    def try_next(self) -> Any: ...


@dataclass(frozen=True)
class _Item:
    document: Document | None  # None: an idle poll that only moved the resume token
    token: Token | None


@dataclass(frozen=True)
class _Failed:
    error: BaseException


@dataclass
class ReaderCounters:
    """What the reader did; read by tests and logs, never used for control."""

    polls: int = 0
    changes: int = 0
    batches: int = 0
    batch_sizes: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class StreamBatch:
    documents: list[Document]
    resume_token: Token | None


class StreamReader:
    """A background reader over one change stream; ``take`` hands the applier what has arrived."""

    def __init__(self, stream: ChangeSource, *, capacity: int, name: str = "change-stream-reader") -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._stream = stream
        # Bounded: a projector that cannot keep up slows its reader down instead of piling up memory.
        self._queue: queue.Queue[_Item | _Failed] = queue.Queue(maxsize=capacity)
        self._closed = threading.Event()
        self._position: Token | None = None
        self.counters = ReaderCounters()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> StreamReader:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def position(self) -> Token | None:
        """The resume token after everything handed out so far (safe to checkpoint once applied)."""
        return self._position

    def take(self, limit: int, wait: float) -> StreamBatch:
        """Up to ``limit`` changes already read; waits up to ``wait`` seconds only if none are in hand.

        A read error (history lost, connection gone) is raised here, in the applier's thread.
        """
        documents: list[Document] = []
        try:
            item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
        except queue.Empty:
            return StreamBatch([], self._position)
        while True:
            if isinstance(item, _Failed):
                raise item.error
            self._position = item.token if item.token is not None else self._position
            if item.document is not None:
                documents.append(item.document)
                if len(documents) >= limit:
                    break
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
        if documents:
            self.counters.batches += 1
            self.counters.batch_sizes.append(len(documents))
        return StreamBatch(documents, self._position)

    def close(self, timeout: float = 30.0) -> None:
        """Stop reading; returns once the reader's outstanding getMore has come back."""
        self._closed.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    # --- the reader thread ----------------------------------------------------------------------
    def _run(self) -> None:
        last_token: Token | None = None
        try:
            while not self._closed.is_set():
                change = self._stream.try_next()  # waits on the server up to max_await when idle
                self.counters.polls += 1
                token = self._stream.resume_token
                if change is not None:
                    self.counters.changes += 1
                    document = change["fullDocument"]
                    if not self._hand_over(_Item(document, token)):
                        return
                elif token != last_token:
                    if not self._hand_over(_Item(None, token)):
                        return
                elif not self._stream.alive:
                    raise InvalidOperation("the change stream was closed (invalidated or killed)")
                last_token = token
        except BaseException as exc:  # handed to the applier, which re-raises it
            self._hand_over(_Failed(exc))

    def _hand_over(self, item: _Item | _Failed) -> bool:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False
