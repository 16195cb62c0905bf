"""E2E: who may call the API — 401 without a valid key, 403 without the scope, 415 for non-JSON
commands, 429 over the write budget, and idempotency keys that belong to one client each."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from pymongo.database import Database

from accounts_write import bootstrap
from accounts_write.adapters.indexes import ensure_collections_and_indexes
from config.apikeys import revoke_key
from config.mongo import close_mongo_client
from tests.auth import bearer

pytestmark = pytest.mark.django_db

Json = dict[str, Any]


@pytest.fixture
def write_side(mongo_db: Database[Json]) -> Iterator[Database[Json]]:
    ensure_collections_and_indexes(mongo_db)
    with bootstrap.override_bus(bootstrap.build_bus(database=mongo_db)):
        yield mongo_db


def keyed(raw_key: str) -> Client:
    return Client(headers=bearer(raw_key))


def open_account(client: Client, key: str | None = None, owner: str = "Ada") -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/accounts", json.dumps({"owner": owner}), content_type="application/json", headers=headers
    )


def assert_error(response: Any, status: int, code: str) -> Json:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return dict(error)


# --- 401 ----------------------------------------------------------------------------------------

READ_ROUTES = [
    "/api/accounts",
    "/api/daily-totals",
    "/api/sync/status",
    "/api/accounts/5b7e4f4e-2d1c-4a57-9c0e-2f2b8d9a1c10",
    "/api/accounts/5b7e4f4e-2d1c-4a57-9c0e-2f2b8d9a1c10/ledger",
]


@pytest.mark.parametrize("path", READ_ROUTES)
def test_a_read_without_a_key_is_a_json_401(anonymous_client: Client, path: str) -> None:
    response = anonymous_client.get(path)
    assert_error(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_command_without_a_key_is_a_json_401_and_runs_nothing(
    anonymous_client: Client, write_side: Any
) -> None:
    assert_error(open_account(anonymous_client), 401, "unauthenticated")
    assert write_side["accounts"].count_documents({}) == 0


@pytest.mark.parametrize(
    "authorization", ["Bearer cqrs_not-a-real-key", "Bearer ", "Basic YWRhOmxvdmVsYWNl", "cqrs_abc"]
)
def test_an_unknown_key_or_another_scheme_is_a_401(authorization: str) -> None:
    response = Client(headers={"Authorization": authorization}).get("/api/accounts")
    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"unauthenticated", "invalid_api_key"}


def test_a_revoked_key_stops_working_at_once(make_api_key: Callable[..., str]) -> None:
    key = make_api_key("read", name="leaving")
    assert keyed(key).get("/api/accounts").status_code == 200

    revoke_key("leaving")

    assert_error(keyed(key).get("/api/accounts"), 401, "invalid_api_key")


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_the_probes_stay_open(
    anonymous_client: Client, path: str, settings: Any, mongo_url: str, mongo_db: Database[Json]
) -> None:
    settings.MONGO_URL, settings.MONGO_DB = mongo_url, mongo_db.name  # not the default URL's 2 s wait
    close_mongo_client()
    try:
        assert anonymous_client.get(path).status_code == 200
    finally:
        close_mongo_client()


# --- 403 ----------------------------------------------------------------------------------------


def test_a_read_only_key_may_read_but_not_command(make_api_key: Callable[..., str], write_side: Any) -> None:
    reader = keyed(make_api_key("read"))
    assert reader.get("/api/accounts").status_code == 200
    error = assert_error(open_account(reader), 403, "insufficient_scope")
    assert error["details"] == {"required_scope": "write", "scopes": ["read"]}
    assert write_side["accounts"].count_documents({}) == 0


def test_a_write_only_key_may_command_but_not_read(make_api_key: Callable[..., str], write_side: Any) -> None:
    writer = keyed(make_api_key("write"))
    assert open_account(writer).status_code == 201
    assert_error(writer.get("/api/accounts"), 403, "insufficient_scope")
    assert_error(writer.get("/api/sync/status"), 403, "insufficient_scope")


# --- 415 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", '{"owner": "Mallory"}'),
        ("application/x-www-form-urlencoded", "owner=Mallory"),
        (
            "multipart/form-data; boundary=XyZ",
            '--XyZ\r\nContent-Disposition: form-data; name="owner"\r\n\r\nMallory\r\n--XyZ--\r\n',
        ),
    ],
)
def test_a_command_whose_body_is_not_json_is_a_415(
    client: Client, write_side: Any, content_type: str, data: str
) -> None:
    # What a page on another site can make a browser send without asking (no CORS preflight).
    response = client.post("/api/accounts", data, content_type=content_type)
    assert_error(response, 415, "unsupported_media_type")
    assert write_side["accounts"].count_documents({}) == 0


def test_json_with_a_charset_is_json(client: Client, write_side: Any) -> None:
    response = client.post(
        "/api/accounts", '{"owner": "Ada"}', content_type="application/json; charset=utf-8"
    )
    assert response.status_code == 201


def test_a_command_without_a_body_needs_no_content_type(client: Client, write_side: Any) -> None:
    account_id = open_account(client).json()["account_id"]
    response = client.generic("POST", f"/api/accounts/{account_id}/close", content_type="")
    assert response.status_code == 200, response.content


# --- 429 ----------------------------------------------------------------------------------------


def test_writes_over_the_budget_are_a_429_with_retry_after(
    make_api_key: Callable[..., str], write_side: Any, settings: Any
) -> None:
    settings.API_WRITE_RATE_LIMIT = 3
    busy, other = keyed(make_api_key()), keyed(make_api_key())

    answers = [open_account(busy).status_code for _ in range(3)]
    refused = open_account(busy)

    assert answers == [201, 201, 201]
    assert_error(refused, 429, "rate_limited")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert write_side["accounts"].count_documents({}) == 3
    assert open_account(other).status_code == 201, "each key has a budget of its own"
    assert busy.get("/api/accounts").status_code == 200, "reads are not limited"


def test_a_limit_of_zero_turns_the_budget_off(
    make_api_key: Callable[..., str], write_side: Any, settings: Any
) -> None:
    settings.API_WRITE_RATE_LIMIT = 0
    client = keyed(make_api_key())
    assert {open_account(client).status_code for _ in range(5)} == {201}


def test_writes_go_through_when_the_limiter_store_is_down(
    make_api_key: Callable[..., str], write_side: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config import api_auth

    settings.API_WRITE_RATE_LIMIT = 1
    monkeypatch.setattr(settings, "RATE_LIMIT_STORAGE_URL", "redis://127.0.0.1:9/0")
    monkeypatch.setattr(api_auth, "_limiter", None)
    client = keyed(make_api_key())
    assert [open_account(client).status_code for _ in range(2)] == [201, 201]
    monkeypatch.setattr(api_auth, "_limiter", None)


# --- idempotency keys belong to one client ------------------------------------------------------


def test_the_same_idempotency_key_from_two_clients_runs_two_commands(
    make_api_key: Callable[..., str], write_side: Any
) -> None:
    alice, bob = keyed(make_api_key()), keyed(make_api_key())

    first = open_account(alice, key="open-1", owner="Alice")
    other = open_account(bob, key="open-1", owner="Alice")
    again = open_account(alice, key="open-1", owner="Alice")

    assert (first.status_code, other.status_code) == (201, 201)
    assert other.json()["account_id"] != first.json()["account_id"], "Bob must not see Alice's result"
    assert not other.has_header("Idempotent-Replayed")
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert first.json()["command_id"] == other.json()["command_id"] == "open-1"
    assert write_side["accounts"].count_documents({}) == 2


# --- the OpenAPI document says all this -----------------------------------------------------------


def test_every_operation_declares_the_bearer_scheme_and_its_refusals(anonymous_client: Client) -> None:
    document = anonymous_client.get("/api/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes == {"ApiKeyBearer": {**schemes["ApiKeyBearer"], "type": "http", "scheme": "bearer"}}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"ApiKeyBearer": []}], (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
            if method == "post":
                assert {"415", "422", "429", "503"} <= set(operation["responses"]), (method, path)
