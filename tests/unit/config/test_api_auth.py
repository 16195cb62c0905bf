"""Unit: ``config.api_auth.requesting_client`` — the client a route's guard recognised."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from config.api_auth import requesting_client
from config.apikeys import ApiClient


def test_the_client_the_guard_recognised_is_returned() -> None:
    request = RequestFactory().post("/api/transfers")
    client = ApiClient(key_id=1, name="ada", scopes=frozenset({"write"}), prefix="k1")
    request.auth = client  # type: ignore[attr-defined]
    assert requesting_client(request) is client


def test_a_route_without_a_guard_is_a_programming_error_not_an_anonymous_call() -> None:
    request = RequestFactory().post("/api/transfers")
    with pytest.raises(TypeError, match="POST /api/transfers runs without READ or WRITE auth"):
        requesting_client(request)
