"""Integration tests: health probes against the real databases, JSON answers for unknown API routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from pymongo.database import Database

from config.mongo import close_mongo_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def app_mongo(settings: Any, mongo_url: str, mongo_db: Database[dict[str, Any]]) -> Iterator[None]:
    """Point the app's shared MongoDB client at the test's database."""
    close_mongo_client()
    settings.MONGO_URL = mongo_url
    settings.MONGO_DB = mongo_db.name
    yield
    close_mongo_client()


@pytest.fixture
def mongo_down(settings: Any) -> Iterator[None]:
    """Point the app at a port where nothing listens, with a short server-selection timeout."""
    close_mongo_client()
    settings.MONGO_URL = "mongodb://127.0.0.1:9/?replicaSet=rs0"
    settings.MONGO_SERVER_SELECTION_TIMEOUT_MS = 300
    yield
    close_mongo_client()


def test_healthz_answers_without_consulting_dependencies(client: Client, mongo_down: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_both_databases_answer(client: Client, app_mongo: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"read_database": "ok", "write_database": "ok"}}


def test_readyz_is_503_and_names_mongodb_when_it_is_down(client: Client, mongo_down: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["read_database"] == "ok"
    assert body["checks"]["write_database"].startswith("unavailable")


def test_unknown_api_route_answers_json_404(client: Client) -> None:
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


def test_metrics_endpoint_exposes_prometheus_text(client: Client) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total" in response.content or b"python_info" in response.content


def test_openapi_document_is_served(client: Client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "CQRS Sync API"
