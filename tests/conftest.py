"""Root test configuration: shared fixtures and plugins for every test layer.

Every route of the site wants credentials now (docs/SECURITY.md). The ``client`` fixture is what a
legitimate user holds: an API key with both scopes (sent as ``Authorization: Bearer``) and a
session of a logged-in demo-page user, so tests of other behaviour need no credentials of their
own. Tests of the guards themselves use ``anonymous_client``, ``api_key`` or ``make_api_key``.
Processes started by tests (web servers, benchmarks) get a key from ``make_api_key`` or
``tests.auth.issue_api_key`` and send it with ``bearer(key)`` (see tests/auth.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from config.apikeys import forget
from projector.leader import LeaderLease
from tests.auth import bearer, issue_api_key

pytest_plugins = ["tests.mongo_standin.pytest_plugin"]


@pytest.fixture
def make_api_key(db: None) -> Iterator[Callable[..., str]]:
    """``make_api_key("read")`` creates a key with those scopes and returns the key itself."""
    yield lambda scopes="read,write", name=None: issue_api_key(name, scopes)
    forget()


@pytest.fixture
def api_key(make_api_key: Callable[..., str]) -> str:
    """A key with the read and the write scope."""
    return make_api_key("read,write")


@pytest.fixture
def demo_user(db: None, django_user_model: type[User]) -> User:
    """A user of the demo page (not staff: the admin stays closed to it)."""
    return django_user_model.objects.create_user("teller", password="teller-password-1")


@pytest.fixture
def client(api_key: str, demo_user: User) -> Client:
    """Django's test client with an API key (both scopes) and a logged-in demo-page user."""
    test_client = Client(headers=bearer(api_key))
    test_client.force_login(demo_user)
    return test_client


@pytest.fixture
def logged_in_client(demo_user: User) -> Client:
    """A browser's view: the demo user's session, no API key."""
    test_client = Client()
    test_client.force_login(demo_user)
    return test_client


@pytest.fixture
def anonymous_client() -> Client:
    """No key, no session: what a stranger on the network has."""
    return Client()


@pytest.fixture
def take_lease() -> Iterator[Callable[..., LeaderLease]]:
    """Take the leader lease on the test's own connection, and let it go afterwards.

    The leader marks its MySQL session with a named lock, which outlives a test's rollback; left
    behind, it would make this test process look like a frozen leader to the next projector,
    which would end its session (ADR 0021).
    """
    taken: list[LeaderLease] = []

    def take(owner: str, ttl: timedelta = timedelta(seconds=30)) -> LeaderLease:
        lease = LeaderLease(owner=owner, ttl=ttl)
        lease.try_acquire()
        taken.append(lease)
        return lease

    yield take
    for lease in taken:
        lease.release()
