"""Integration: /metrics and the projector's metrics port want METRICS_TOKEN when one is set."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest
from django.test import Client

from projector.metrics_server import serve_metrics
from tests.mongo_standin.process import free_port

pytestmark = pytest.mark.django_db
TOKEN = "a-metrics-token-of-forty-characters-0123"


def test_metrics_are_open_without_a_token(anonymous_client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert anonymous_client.get("/metrics").status_code == 200


def test_metrics_want_the_token_once_one_is_set(anonymous_client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN

    refused = anonymous_client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    scraped = anonymous_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert scraped.status_code == 200 and b"python_info" in scraped.content


def scrape(port: int, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            assert b"projector_events_total" in response.read()
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.mark.slow
def test_the_projector_metrics_port_wants_the_token_too(settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    port = free_port()
    server = serve_metrics(port, "127.0.0.1")
    try:
        assert scrape(port, None) == 401
        assert scrape(port, "wrong") == 401
        assert scrape(port, TOKEN) == 200
    finally:
        server.shutdown()
        server.server_close()
