"""Test and benchmark helpers: an API key made in code, and the header that sends it.

In a process with Django set up (a test, a benchmark, a load generator) against the database
the server uses::

    key = issue_api_key("bench")            # both scopes
    headers = {**bearer(key), "Content-Type": "application/json"}

Benchmarks and load tests also run the server with ``API_WRITE_RATE_LIMIT=0``: the write limit
(600 a minute per key by default) would otherwise throttle them. From a shell:
``python manage.py apikey create bench --scopes read,write | tail -n 1``.
"""

from __future__ import annotations

from uuid import uuid4

from config.apikeys import create_key


def bearer(raw_key: str) -> dict[str, str]:
    """The header that authenticates a request to /api/ with ``raw_key``."""
    return {"Authorization": f"Bearer {raw_key}"}


def issue_api_key(name: str | None = None, scopes: str = "read,write") -> str:
    """A new key (a unique name unless one is given); returns the key itself."""
    _, raw_key = create_key(name or f"test-{uuid4().hex[:12]}", scopes)
    return raw_key
