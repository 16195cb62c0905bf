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


def test_healthz_answers_without_consulting_dependencies(client: Client, mongo_down: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_both_databases_answer(client: Client, app_mongo: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"read_database": "ok", "write_database": "ok"}}


@pytest.mark.slow
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


def test_wrong_method_on_an_api_route_answers_json_405_with_allowed_methods(client: Client) -> None:
    response = client.delete("/api/accounts")
    assert response.status_code == 405
    body = response.json()
    assert body["error"]["code"] == "method_not_allowed"
    assert set(body["error"]["details"]["allowed"]) == {"GET", "POST"}
    assert "POST" in response["Allow"]


def test_both_methods_of_a_path_shared_by_write_and_read_sides_are_routed(client: Client) -> None:
    # GET /api/accounts is the read side's, POST /api/accounts the write side's.
    assert client.get("/api/accounts").status_code == 200
    response = client.post("/api/accounts", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_a_body_over_the_upload_limit_answers_413(client: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post(
        "/api/accounts", data='{"owner": "' + "x" * 4096 + '"}', content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
