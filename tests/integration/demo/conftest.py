"""Fixtures of the demo page's integration tests: the page's web parts on the test's own MongoDB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from pymongo.database import Database

from accounts_write import bootstrap
from accounts_write.application.bus import RetryPolicy
from config.mongo import close_mongo_client


@pytest.fixture
def htmx(client: Client, write_db: Database[Any]) -> Client:
    """A client that asks as htmx does (the page's live parts and forms)."""
    client.defaults["HTTP_HX_REQUEST"] = "true"
    return client


@pytest.fixture
def mongo_down(settings: Any) -> Iterator[None]:
    settings.MONGO_URL = "mongodb://127.0.0.1:9/?replicaSet=rs0"
    settings.MONGO_SERVER_SELECTION_TIMEOUT_MS = 300
    close_mongo_client()
    with bootstrap.override_bus(bootstrap.build_bus(retry=RetryPolicy(max_attempts=1))):
        yield
    close_mongo_client()
