"""Stand-in durability: an append-only BSON journal, fsynced before a write is acknowledged."""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bson

from tests.mongo_standin.wire import CODEC

log = logging.getLogger(__name__)
JOURNAL_NAME = "journal.bson"


class Journal:
    """Each record is one BSON document; a torn tail left by a crash is cut off on open."""

    def __init__(self, dbpath: str) -> None:
        self.dir = Path(dbpath)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / JOURNAL_NAME
        self._file = open(self.path, "ab")  # noqa: SIM115 — held open for the server's lifetime

    def replay(self) -> Iterator[dict[str, Any]]:
        data = self.path.read_bytes()
        pos = 0
        while pos + 4 <= len(data):
            (size,) = struct.unpack_from("<i", data, pos)
            if size < 5 or pos + size > len(data):
                break
            try:
                record = bson.decode(data[pos : pos + size], CODEC)
            except bson.errors.InvalidBSON:
                break
            pos += size
            yield record
        if pos < len(data):
            log.warning("journal %s: cutting a torn tail of %d bytes", self.path, len(data) - pos)
            self._file.close()
            with open(self.path, "r+b") as handle:
                handle.truncate(pos)
                os.fsync(handle.fileno())
            self._file = open(self.path, "ab")  # noqa: SIM115

    def append(self, record: dict[str, Any]) -> None:
        self._file.write(bson.encode(record, codec_options=CODEC))
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()
