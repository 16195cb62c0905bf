"""Fixtures of the projector tests: an outbox store on the test's own MongoDB database."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import pytest
from pymongo.database import Database

from accounts_write.contract import OUTBOX_COLLECTION, decode_entry
from projector.apply import Outcome, apply_events
from projector.outbox import Backoff, OutboxStore


@pytest.fixture
def outbox(mongo_db: Database[dict[str, Any]]) -> OutboxStore:
    return OutboxStore(
        mongo_db[OUTBOX_COLLECTION],
        backoff=Backoff(base_seconds=1.0, max_seconds=60.0),
        entry_lease=timedelta(seconds=30),
    )


@pytest.fixture
def apply_documents() -> Callable[..., Outcome]:
    """Parse outbox documents and apply them as one batch."""

    def apply(documents: Iterable[dict[str, Any]], **options: Any) -> Outcome:
        return apply_events([decode_entry(document) for document in documents], **options)

    return apply
