"""Stand-in process: the newest log lines, kept in memory for `getLog` in mongod's JSON log format."""

from __future__ import annotations

import datetime
import json
import logging
from collections import deque

SEVERITIES = {"DEBUG": "D1", "INFO": "I", "WARNING": "W", "ERROR": "E", "CRITICAL": "F"}


class LogRing(logging.Handler):
    """Keeps the last ``capacity`` records as JSON lines; counts every line ever written."""

    def __init__(self, capacity: int = 1024) -> None:
        super().__init__(logging.INFO)
        self.lines: deque[str] = deque(maxlen=capacity)
        self.total = 0

    def emit(self, record: logging.LogRecord) -> None:
        when = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
        line = {
            "t": {"$date": when.isoformat(timespec="milliseconds").replace("+00:00", "Z")},
            "s": SEVERITIES.get(record.levelname, "I"),
            "c": record.name.rsplit(".", 1)[-1].upper(),
            "id": 0,
            "ctx": record.threadName,
            "msg": record.getMessage(),
        }
        self.lines.append(json.dumps(line))
        self.total += 1


RING = LogRing()
