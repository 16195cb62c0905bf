"""Browser-test infrastructure: the demo page wants a login — sign a browser context in.

``session_of(user)`` makes a session for a user of the test's database (before Playwright starts:
Django's ORM refuses to run inside its event loop), and ``log_in(context, base_url, session)``
gives it to a browser context (fast: no page load). Outside pytest (``make screenshot``)
``staff_login(database_url)`` makes a login with ``manage.py createsuperuser`` and
``log_in_with_password`` signs in through the form.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from playwright.sync_api import BrowserContext, Page

if TYPE_CHECKING:  # the ORM loads only once Django is set up; `make screenshot` imports this first
    from django.contrib.auth.models import User

REPO_ROOT = Path(__file__).resolve().parents[3]


def session_of(user: User) -> str:
    """A session key of ``user``, stored in the database the stack reads."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def log_in(context: BrowserContext, base_url: str, session: str) -> None:
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])


def staff_login(database_url: str) -> tuple[str, str]:
    """A staff login in that database, made under the settings the stack runs on (the test
    settings' password hasher: a login made under the local settings would not verify there)."""
    username, password = "demo", secrets.token_urlsafe(12)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "DJANGO_SUPERUSER_USERNAME": username,
        "DJANGO_SUPERUSER_PASSWORD": password,
        "DJANGO_SUPERUSER_EMAIL": "demo@example.invalid",
    }
    subprocess.run(
        [sys.executable, "manage.py", "createsuperuser", "--noinput"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return username, password


def log_in_with_password(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base_url + "/")
