"""Sync engine boundary: outbox documents as plain JSON values (for commands, the admin, reports)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any


def to_jsonable(value: Any) -> Any:
    """UUIDs, datetimes and decimals (Decimal128 too, by duck type) as strings; containers recursively."""
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "to_decimal"):
        return str(value.to_decimal())
    if isinstance(value, bytes):
        return value.hex()
    return value
