"""Application: command idempotency — the command record and the fingerprint of a command's payload."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from accounts_write.application.errors import IdempotencyKeyReusedError
from accounts_write.application.results import CommandResult
from accounts_write.domain.commands import Command


@dataclass(frozen=True)
class CommandRecord:
    """A handled command: stored with its result in the same transaction as its effects."""

    command_id: str
    command_type: str
    payload_hash: str
    result: CommandResult
    recorded_at: datetime


def _canonical(value: object) -> object:
    if isinstance(value, Decimal):
        # 12.5 and 12.50 are the same amount, so they are the same payload.
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, UUID):
        return str(value)
    return value


def payload_hash(command: Command) -> str:
    """SHA-256 of the command's type and canonical payload (stable across processes)."""
    payload = {item.name: _canonical(getattr(command, item.name)) for item in fields(command)}
    text = json.dumps({"type": type(command).__name__, "payload": payload}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def replay(record: CommandRecord, command: Command) -> CommandResult:
    """The first result again, if the command is the same one; ``IdempotencyKeyReusedError`` if not."""
    if record.command_type != type(command).__name__ or record.payload_hash != payload_hash(command):
        raise IdempotencyKeyReusedError(record.command_id)
    return replace(record.result, replayed=True)
