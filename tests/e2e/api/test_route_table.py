"""E2E: the API's route table — every route is served and documented, under its tag.

``config.api.merge_routers`` mounts the write side's and the read side's routers as one, through
ninja internals (``Router.path_operations``, ``PathView``), because they share ``/api/accounts``.
If a ninja upgrade changes those internals, a route goes missing from the document or answers
404/405 instead of running its guard: these tests say which.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

ACCOUNT = "/api/accounts/5b7e4f4e-2d1c-4a57-9c0e-2f2b8d9a1c10"

# (method, documented path, tag, a concrete path)
ROUTES = [
    ("post", "/api/accounts", "commands", "/api/accounts"),
    ("get", "/api/accounts", "queries", "/api/accounts"),
    ("get", "/api/accounts/{account_id}", "queries", ACCOUNT),
    ("get", "/api/accounts/{account_id}/ledger", "queries", f"{ACCOUNT}/ledger"),
    ("post", "/api/accounts/{account_id}/deposit", "commands", f"{ACCOUNT}/deposit"),
    ("post", "/api/accounts/{account_id}/withdraw", "commands", f"{ACCOUNT}/withdraw"),
    ("post", "/api/accounts/{account_id}/close", "commands", f"{ACCOUNT}/close"),
    ("post", "/api/transfers", "commands", "/api/transfers"),
    ("get", "/api/daily-totals", "queries", "/api/daily-totals"),
    ("get", "/api/sync/status", "sync", "/api/sync/status"),
]


@pytest.fixture
def document(anonymous_client: Client) -> dict[str, Any]:
    return dict(anonymous_client.get("/api/openapi.json").json())


def test_the_document_lists_exactly_the_routes_each_under_its_tag(document: dict[str, Any]) -> None:
    documented = {
        (method, path, tuple(operation["tags"]))
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    assert documented == {(method, path, (tag,)) for method, path, tag, _ in ROUTES}


@pytest.mark.parametrize(("method", "path"), [(method, path) for method, _, _, path in ROUTES])
def test_every_route_is_served_by_its_operation(anonymous_client: Client, method: str, path: str) -> None:
    # Without a key an operation's guard answers 401; a route the merge lost would be a 404 or 405.
    response = anonymous_client.generic(method.upper(), path)
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.django_db
def test_both_sides_answer_on_their_shared_path(client: Client) -> None:
    listed = client.get("/api/accounts")
    refused = client.post("/api/accounts", "{}", content_type="application/json")
    assert (listed.status_code, sorted(listed.json())) == (200, ["count", "items", "limit", "offset"])
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "validation_error")
