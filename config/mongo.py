"""Infrastructure: the process-wide MongoDB client, created lazily (never at import time)."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from pymongo import MongoClient
from pymongo.database import Database

_lock = threading.Lock()
_client: MongoClient[dict[str, Any]] | None = None


def mongo_client() -> MongoClient[dict[str, Any]]:
    """The shared client: UUIDs as standard BSON UUIDs, tz-aware datetimes, short timeouts."""
    global _client
    with _lock:
        if _client is None:
            _client = MongoClient(
                settings.MONGO_URL,
                uuidRepresentation="standard",
                tz_aware=True,
                serverSelectionTimeoutMS=settings.MONGO_SERVER_SELECTION_TIMEOUT_MS,
                connectTimeoutMS=settings.MONGO_CONNECT_TIMEOUT_MS,
                appname="cqrs-sync",
            )
        return _client


def write_database() -> Database[dict[str, Any]]:
    """The write-side database named by ``MONGO_DB``."""
    return mongo_client()[settings.MONGO_DB]


def close_mongo_client() -> None:
    """Close the shared client (tests and process shutdown); the next call makes a new one."""
    global _client
    with _lock:
        if _client is not None:
            _client.close()
            _client = None
