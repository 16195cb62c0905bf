"""Fixtures of the demo page's integration tests: the page's web parts on the test's own MongoDB."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from pymongo.database import Database

from accounts_write import bootstrap
from accounts_write.application.bus import RetryPolicy


@pytest.fixture
def htmx(client: Client, write_db: Database[Any]) -> Client:
    """A client that asks as htmx does (the page's live parts and forms)."""
    client.defaults["HTTP_HX_REQUEST"] = "true"
    return client


@pytest.fixture
def mongo_down(mongo_down: None) -> Iterator[None]:
    """MongoDB away (the shared fixture), and a bus that gives up after one attempt."""
    with bootstrap.override_bus(bootstrap.build_bus(retry=RetryPolicy(max_attempts=1))):
        yield
