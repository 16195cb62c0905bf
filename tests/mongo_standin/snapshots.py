"""Stand-in transactions: snapshot reads at a cluster time (readConcern snapshot, atClusterTime)."""

from __future__ import annotations

import time

from bson import Timestamp

from tests.mongo_standin.errors import CommandError

# mongod keeps history for minSnapshotHistoryWindowInSeconds (300 s) to serve snapshot reads.
HISTORY_WINDOW_SECONDS = 300.0


class SnapshotPins:
    """Cluster times a snapshot read was served at; each keeps its documents' versions for a while."""

    def __init__(self) -> None:
        self.pins: dict[tuple[int, int], tuple[int, float]] = {}  # (time, inc) -> (seq, expiry)

    def __bool__(self) -> bool:
        return bool(self.pins)

    def pin(self, ts: Timestamp, seq: int) -> None:
        self.pins[(ts.time, ts.inc)] = (seq, time.monotonic() + HISTORY_WINDOW_SECONDS)

    def seq_at(self, ts: Timestamp, latest_seq: int, latest_write: Timestamp) -> int:
        """The write sequence number whose state is the snapshot at ``ts``."""
        key = (ts.time, ts.inc)
        if key in self.pins:
            return self.pins[key][0]
        if key >= (latest_write.time, latest_write.inc):
            self.pin(ts, latest_seq)  # nothing was written since: the current state is that snapshot
            return latest_seq
        raise CommandError(
            f"Read timestamp {ts} is older than the oldest available timestamp.", code=239
        )  # SnapshotTooOld: the stand-in keeps history only for times it served or pinned

    def oldest(self) -> int | None:
        return min((seq for seq, _expiry in self.pins.values()), default=None)

    def expire(self) -> bool:
        if not self.pins:
            return False
        now = time.monotonic()
        stale = [key for key, (_seq, expiry) in self.pins.items() if expiry < now]
        for key in stale:
            del self.pins[key]
        return bool(stale)
