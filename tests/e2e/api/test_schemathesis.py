"""E2E: schemathesis against the OpenAPI document the API serves — every check, a fixed seed, a
bounded number of examples per operation — must find nothing.

The document is fetched from the WSGI application (``GET /api/openapi.json``) when the tests are
collected; one test per operation then sends generated requests (valid and invalid, with and
without the key, other methods) to that application in this process, on the test's MySQL database
and MongoDB, and checks every answer against the document: status codes listed, bodies and headers
as documented, no 5xx, valid data accepted, invalid data refused, auth enforced, 405 for other
methods. The number of requests sent is printed at the end of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
import schemathesis
from pymongo.database import Database
from schemathesis.config import SchemathesisConfig

from accounts_write import bootstrap
from accounts_write.adapters.indexes import ensure_collections_and_indexes
from config.mongo import close_mongo_client
from config.wsgi import application
from tests.auth import bearer, issue_api_key

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

SEED = 20261201
MAX_EXAMPLES = 50
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES},
        "suppress-health-check": ["all"],
    }
)
sent: list[str] = []


def counted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The application, counting every request schemathesis sends (its checks send some more)."""
    sent.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
    return application(environ, start_response)


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", counted, config=CONFIG)


@pytest.fixture(scope="module", autouse=True)
def report_the_count() -> Iterator[None]:
    yield
    print(f"\nschemathesis: {len(sent)} requests sent")  # noqa: T201 (the count the issue asks for)


@pytest.fixture
def served(settings: Any, mongo_url: str, mongo_db: Database[Any]) -> Iterator[dict[str, str]]:
    """The application on the test's databases, and the headers of a key with both scopes."""
    settings.API_WRITE_RATE_LIMIT = 0  # hundreds of commands a minute: the limit is tested elsewhere
    settings.MONGO_URL, settings.MONGO_DB = mongo_url, mongo_db.name
    close_mongo_client()
    ensure_collections_and_indexes(mongo_db)
    with bootstrap.override_bus(bootstrap.build_bus(database=mongo_db)):
        yield bearer(issue_api_key())
    close_mongo_client()


@schema.parametrize()
def test_the_api_keeps_every_promise_of_its_openapi_document(case: Any, served: dict[str, str]) -> None:
    case.call_and_validate(headers=served)
