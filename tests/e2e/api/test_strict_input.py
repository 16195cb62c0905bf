"""E2E: the API's input rules, as the OpenAPI document states them — money, names, the owner
filter, chunked bodies, and JSON answers for every method on every /api/ path."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from django.test import Client
from pymongo.database import Database

from accounts_write import bootstrap
from accounts_write.adapters.indexes import ensure_collections_and_indexes
from accounts_write.schemas import AMOUNT_PATTERN, INITIAL_DEPOSIT_PATTERN, OWNER_PATTERN
from tests.factories.read_models import AccountViewFactory

pytestmark = pytest.mark.django_db

Json = dict[str, Any]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE"]


@pytest.fixture
def api(client: Client, mongo_db: Database[Json]) -> Iterator[Client]:
    ensure_collections_and_indexes(mongo_db)
    with bootstrap.override_bus(bootstrap.build_bus(database=mongo_db)):
        yield client


def post(client: Client, path: str, body: Json) -> Any:
    return client.post(f"/api{path}", json.dumps(body), content_type="application/json")


@pytest.fixture
def document(anonymous_client: Client) -> Json:
    return dict(anonymous_client.get("/api/openapi.json").json())


def test_the_schema_publishes_the_money_and_owner_patterns(document: Json) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["AmountIn"]["properties"]["amount"]["pattern"] == AMOUNT_PATTERN
    assert schemas["TransferIn"]["properties"]["amount"]["pattern"] == AMOUNT_PATTERN
    deposit = schemas["OpenAccountIn"]["properties"]["initial_deposit"]["anyOf"][0]
    assert deposit["pattern"] == INITIAL_DEPOSIT_PATTERN
    owner = schemas["OpenAccountIn"]["properties"]["owner"]
    assert (owner["pattern"], owner["maxLength"]) == (OWNER_PATTERN, 200)
    assert schemas["OpenAccountIn"]["properties"]["currency"]["enum"] == ["EUR", "USD", "GBP", "CHF"]


@pytest.mark.parametrize(
    "amount", [" 5", "5\n", "+5", "-5", "0005.10", "٥", "５", "5.", ".5", "1e2", "5.001"]
)
def test_money_that_is_not_plain_ascii_decimal_is_refused(api: Client, amount: str) -> None:
    account_id = post(api, "/accounts", {"owner": "Ada"}).json()["account_id"]
    response = post(api, f"/accounts/{account_id}/deposit", {"amount": amount})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("amount", ["0.50", "5", "12.5", "1000000000.00"])
def test_money_in_the_published_format_is_accepted(api: Client, amount: str) -> None:
    account_id = post(api, "/accounts", {"owner": "Ada"}).json()["account_id"]
    assert post(api, f"/accounts/{account_id}/deposit", {"amount": amount}).status_code == 200


@pytest.mark.parametrize(
    "owner",
    ["👩\u200d💻 Grace", "می\u200cخواهم", "Jean\u00a0Dupont", "Zoe\u0308 Ame\u0301lie", "山田 太郎"],
)
def test_real_names_are_accepted_as_given(api: Client, owner: str) -> None:
    response = post(api, "/accounts", {"owner": owner})
    assert response.status_code == 201, response.content
    assert re.fullmatch(OWNER_PATTERN, owner)


@pytest.mark.parametrize("owner", ["Ada\nLovelace", "Ada\x00", "\tAda", "Ada\x1b[2J", "Ada\u2028", "Ada\x85"])
def test_names_with_control_characters_are_refused(api: Client, owner: str) -> None:
    response = post(api, "/accounts", {"owner": owner})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_owner"
    assert not re.fullmatch(OWNER_PATTERN, owner)


def test_the_owner_filter_is_exact(client: Client) -> None:
    for owner in ["Ada", "ada", "ADA", "Ádá", "Ada Lovelace", "😀", "😃", "👩\u200d💻"]:
        AccountViewFactory(owner=owner)

    def owners(name: str) -> list[str]:
        return [item["owner"] for item in client.get("/api/accounts", {"owner": name}).json()["items"]]

    assert owners("Ada") == ["Ada"]
    assert owners("ada") == ["ada"]
    assert owners("Ada ") == []
    assert owners("😀") == ["😀"]
    assert owners("👩") == []


def test_a_lowercase_currency_filter_is_refused_not_matched_loosely(client: Client) -> None:
    assert client.get("/api/daily-totals", {"currency": "eur"}).status_code == 422


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("path", ["/api/no-such-thing", "/api/accounts/x/y/z", "/api/", "/api"])
def test_an_unknown_api_path_is_a_json_404_for_every_method(client: Client, path: str, method: str) -> None:
    response = client.generic(method, path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    if method != "HEAD":
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/accounts", {"GET", "POST"}),
        (f"/api/accounts/{uuid4()}", {"GET"}),
        (f"/api/accounts/{uuid4()}/deposit", {"POST"}),
        ("/api/transfers", {"POST"}),
        ("/api/sync/status", {"GET"}),
    ],
)
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
def test_a_known_path_answers_other_methods_with_a_json_405(
    client: Client, path: str, allowed: set[str], method: str
) -> None:
    response = client.generic(method, path)
    assert response.status_code == 405
    assert set(response.json()["error"]["details"]["allowed"]) == allowed
    assert {item.strip() for item in response["Allow"].split(",")} == allowed


@pytest.mark.parametrize(
    "path",
    [
        "/api/accounts?colour=red",
        f"/api/accounts/{uuid4()}?limit=5",
        "/api/sync/status?verbose=1",
        "/api/accounts?=x",
    ],
)
def test_a_query_parameter_the_route_does_not_take_is_a_422(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert "Unknown query parameter" in response.json()["error"]["message"]


def test_a_command_with_a_query_string_runs_nothing(api: Client, mongo_db: Database[Json]) -> None:
    response = api.post(
        "/api/accounts?dry_run=1", json.dumps({"owner": "Ada"}), content_type="application/json"
    )
    assert response.status_code == 422
    assert mongo_db["accounts"].count_documents({}) == 0
