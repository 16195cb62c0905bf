"""Sync engine service: read outbox documents in chunks, the next chunk read while this one is applied."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import cast

from projector.outbox import Document


def chunks(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    iterator = iter(documents)
    while chunk := list(islice(iterator, size)):
        yield chunk


class _ReadFailed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def read_ahead(chunks: Iterator[list[Document]]) -> Iterator[list[Document]]:
    """Read the next chunk from MongoDB in a background thread while the caller applies this one.

    One chunk ahead at most; a read error is raised in the caller's thread, where it was before.
    """
    ready: queue.Queue[object] = queue.Queue(maxsize=1)
    closed = threading.Event()

    def hand_over(item: object) -> bool:
        while not closed.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for chunk in chunks:
                if not hand_over(chunk):
                    return
            hand_over(_END)
        except BaseException as exc:  # handed to the caller, which re-raises it
            hand_over(_ReadFailed(exc))

    reader = threading.Thread(target=read, name="outbox-catch-up-reader", daemon=True)
    reader.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, _ReadFailed):
                raise item.error
            yield cast(list[Document], item)
    finally:
        closed.set()
        reader.join(timeout=30)
