"""Sync engine service: read outbox documents in chunks, the next chunk read while this one is applied."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice

from projector.outbox import Document


def chunks(documents: Iterable[Document], size: int) -> Iterator[list[Document]]:
    iterator = iter(documents)
    while chunk := list(islice(iterator, size)):
        yield chunk


def read_ahead(chunks: Iterator[list[Document]]) -> Generator[list[Document], None, None]:
    """Read the next chunk from MongoDB in a worker thread while the caller applies this one.

    One chunk ahead at most; a read error is raised in the caller's thread, where it was before.
    Closed early, it waits for the read under way (one chunk) and reads no further.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-catch-up-reader") as reader:
        upcoming = reader.submit(next, chunks, None)
        while (chunk := upcoming.result()) is not None:
            upcoming = reader.submit(next, chunks, None)
            yield chunk
