"""Stand-in change streams: the bounded, ordered history of change events and their resume tokens."""

from __future__ import annotations

import datetime
import time
from collections import deque
from typing import Any

from bson import Timestamp

from tests.mongo_standin.errors import ChangeStreamHistoryLostError, InvalidResumeTokenError

HISTORY_LOST_MESSAGE = (
    "Resume of change stream was not possible, as the resume point may no longer be in the oplog."
)


class ClusterClock:
    """Hands out strictly increasing cluster times (seconds, increment), like the oplog does."""

    def __init__(self) -> None:
        self.last = Timestamp(0, 0)

    def tick(self) -> Timestamp:
        now = int(time.time())
        if now > self.last.time:
            self.last = Timestamp(now, 1)
        else:
            self.last = Timestamp(self.last.time, self.last.inc + 1)
        return self.last

    def observe(self, ts: Timestamp) -> None:
        if (ts.time, ts.inc) > (self.last.time, self.last.inc):
            self.last = ts


def make_token(ts: Timestamp, number: int, invalidate: bool = False) -> dict[str, str]:
    # Hex that sorts like (clusterTime, event number); opaque to clients as the drivers spec requires.
    return {"_data": f"82{(ts.time << 96) | (ts.inc << 64) | number:032X}{1 if invalidate else 0}"}


def parse_token(token: Any) -> tuple[Timestamp, int, bool]:
    data = token.get("_data") if isinstance(token, dict) else None
    if not isinstance(data, str) or len(data) != 35 or not data.startswith("82"):
        raise InvalidResumeTokenError(f"malformed resume token: {token!r}")
    try:
        return Timestamp(int(data[2:10], 16), int(data[10:18], 16)), int(data[18:34], 16), data[34] == "1"
    except ValueError as exc:
        raise InvalidResumeTokenError(f"malformed resume token: {token!r}") from exc


def wall_time() -> datetime.datetime:
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class ChangeHistory:
    """Events numbered 1, 2, ...; only the newest `capacity` are kept, older positions are lost."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self.events: deque[dict[str, Any]] = deque()
        self.last_number = 0
        self.dropped_any = False

    @property
    def first_number(self) -> int:
        return self.last_number - len(self.events) + 1

    def next_number(self) -> int:
        self.last_number += 1
        return self.last_number

    def append(self, event: dict[str, Any], number: int) -> None:
        self.last_number = max(self.last_number, number)
        self.events.append(event)
        while len(self.events) > self.capacity:
            self.events.popleft()
            self.dropped_any = True

    def check_position(self, after: int) -> None:
        """A stream may continue after event `after` only if event after+1 was not discarded."""
        if after > self.last_number:
            raise InvalidResumeTokenError("resume token is from the future of this server's history")
        if self.dropped_any and after + 1 < self.first_number:
            raise ChangeStreamHistoryLostError(HISTORY_LOST_MESSAGE)

    def position_at_time(self, ts: Timestamp) -> int:
        """The position just before the first event at or after cluster time `ts`."""
        wanted = (ts.time, ts.inc)
        if self.events:
            first_ts = self.events[0]["clusterTime"]
            if self.dropped_any and (first_ts.time, first_ts.inc) > wanted:
                raise ChangeStreamHistoryLostError(HISTORY_LOST_MESSAGE)
        for event in self.events:
            event_ts = event["clusterTime"]
            if (event_ts.time, event_ts.inc) >= wanted:
                return parse_token(event["_id"])[1] - 1
        return self.last_number

    def since(self, after: int, limit: int) -> list[dict[str, Any]]:
        start = max(after + 1, self.first_number)
        offset = start - self.first_number
        out = []
        for index in range(offset, min(len(self.events), offset + limit)):
            out.append(self.events[index])
        return out
