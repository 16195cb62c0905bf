"""Composition root of the write side: wires the command bus with the MongoDB unit of work.

``handle(command)`` is the one entry point for delivery code (API, forms, tests of other
components). Nothing here connects at import time: the bus is built on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, overload
from uuid import uuid4

from django.conf import settings
from pymongo.database import Database

from accounts_write.adapters.mongo_uow import MongoUnitOfWork
from accounts_write.application.bus import CommandBus, RetryPolicy
from accounts_write.application.results import AccountCommandResult, CommandResult, TransferResult
from accounts_write.domain.commands import (
    CloseAccount,
    Command,
    DepositFunds,
    OpenAccount,
    TransferFunds,
    WithdrawFunds,
)
from config.mongo import write_database

_lock = threading.Lock()
_bus: CommandBus | None = None


def utc_now() -> datetime:
    """Now, in UTC, at millisecond precision (what a BSON date keeps)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def build_bus(
    database: Database[dict[str, Any]] | None = None, retry: RetryPolicy | None = None
) -> CommandBus:
    """A bus writing to ``database`` (default: the configured write database, looked up per command)."""

    def unit_of_work() -> MongoUnitOfWork:
        return MongoUnitOfWork(database if database is not None else write_database())

    policy = retry if retry is not None else RetryPolicy(budget_seconds=settings.WRITE_RETRY_BUDGET_SECONDS)
    return CommandBus(unit_of_work, clock=utc_now, retry=policy)


def bus() -> CommandBus:
    global _bus
    with _lock:
        if _bus is None:
            _bus = build_bus()
        return _bus


def new_command_id() -> str:
    return str(uuid4())


@overload
def handle(command: TransferFunds, command_id: str | None = None) -> TransferResult: ...
@overload
def handle(
    command: OpenAccount | DepositFunds | WithdrawFunds | CloseAccount, command_id: str | None = None
) -> AccountCommandResult: ...
@overload
def handle(command: Command, command_id: str | None = None) -> CommandResult: ...
def handle(command: Command, command_id: str | None = None) -> CommandResult:
    """Execute ``command`` once per ``command_id`` (a fresh id if none is given) and return its result."""
    return bus().handle(command, command_id if command_id is not None else new_command_id())


@contextmanager
def override_bus(replacement: CommandBus) -> Iterator[CommandBus]:
    """Route ``handle`` to another bus for the duration (tests: a test database or a fake)."""
    global _bus
    with _lock:
        previous, _bus = _bus, replacement
    try:
        yield replacement
    finally:
        with _lock:
            _bus = previous
