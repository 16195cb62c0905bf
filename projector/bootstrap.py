"""Composition root of the sync engine: builds the outbox store and the runner from settings."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from pymongo.collection import Collection
from pymongo.database import Database

from accounts_write.contract import ACCOUNTS_COLLECTION, OUTBOX_COLLECTION
from config.mongo import write_database
from projector.outbox import Backoff, OutboxStore
from projector.runner import ProjectorRunner, RunnerConfig


def default_owner() -> str:
    """A name unique to this process: host, pid and a random suffix (pids are reused in containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def outbox_store(database: Database[Any] | None = None) -> OutboxStore:
    """The outbox of ``database`` (default: the configured write database)."""
    target = database if database is not None else write_database()
    return OutboxStore(
        target[OUTBOX_COLLECTION],
        backoff=Backoff(
            base_seconds=settings.PROJECTOR_RETRY_BACKOFF_BASE_SECONDS,
            max_seconds=settings.PROJECTOR_RETRY_BACKOFF_MAX_SECONDS,
        ),
        entry_lease=timedelta(seconds=settings.PROJECTOR_ENTRY_LEASE_SECONDS),
        max_attempts=settings.PROJECTOR_MAX_ATTEMPTS,
    )


def accounts_collection(database: Database[Any] | None = None) -> Collection[Any]:
    """The write side's accounts (the write state that ``reconcile`` compares with)."""
    target = database if database is not None else write_database()
    return target[ACCOUNTS_COLLECTION]


def build_runner(
    *,
    owner: str | None = None,
    stop: threading.Event | None = None,
    database: Database[Any] | None = None,
    config: RunnerConfig | None = None,
) -> ProjectorRunner:
    return ProjectorRunner(
        outbox_store(database),
        owner=owner or default_owner(),
        config=config or RunnerConfig.from_settings(),
        stop=stop,
    )
