"""Fixtures of the browser tests: the real stack on the test databases, and a watched chromium page.

Order matters: the page (and Playwright's event loop) is gone before the stack stops, and the
stack is gone before pytest-django empties the test database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page
from pymongo.database import Database

from accounts_write.adapters.indexes import ensure_collections_and_indexes
from tests.auth import issue_api_key
from tests.e2e.browser.browser import Watch, chromium, watched_context
from tests.e2e.browser.login import log_in, session_of
from tests.e2e.browser.stack import DemoStack
from tests.faults.conftest import database_url


@pytest.fixture
def demo_stack(
    transactional_db: None, settings: Any, mongo_url: str, mongo_db: Database[Any]
) -> Iterator[DemoStack]:
    ensure_collections_and_indexes(mongo_db)
    key = issue_api_key(scopes="read")
    with DemoStack(
        database_url=database_url(settings), mongo_url=mongo_url, mongo_db=mongo_db.name, api_key=key
    ) as stack:
        yield stack


@pytest.fixture
def browser(demo_stack: DemoStack) -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def demo_session(demo_user: User) -> str:
    return session_of(demo_user)


@pytest.fixture
def page(demo_session: str, browser: Browser, watch: Watch, demo_stack: DemoStack) -> Iterator[Page]:
    """A desktop-sized page on the demo, logged in as the demo user (the page wants a login); the
    test fails if it left the host or logged an error."""
    with watched_context(browser, watch) as context:
        log_in(context, demo_stack.base_url, demo_session)
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
    assert watch.blocked == [], f"requests that tried to leave the host: {watch.blocked}"
    assert watch.console_errors == [], f"console errors: {watch.console_errors}\n{demo_stack.logs()}"
