"""Browser-test infrastructure: the demo page wants a login — sign a browser context in.

``session_of(user)`` makes a session for a user of the test's database (before Playwright starts:
Django's ORM refuses to run inside its event loop), and ``log_in(context, base_url, session)``
gives it to a browser context (fast: no page load). Outside pytest (``make screenshot``)
``demo_login(database_url)`` makes a login with ``manage.py demo_login`` and
``log_in_with_password`` signs in through the form.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import BrowserContext, Page

REPO_ROOT = Path(__file__).resolve().parents[3]


def session_of(user: User) -> str:
    """A session key of ``user``, stored in the database the stack reads."""
    client = Client()
    client.force_login(user)
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def log_in(context: BrowserContext, base_url: str, session: str) -> None:
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])


def demo_login(database_url: str) -> tuple[str, str]:
    """A staff login in that database (``manage.py demo_login``): user name and password."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DATABASE_URL": database_url}
    output = subprocess.run(
        [sys.executable, "manage.py", "demo_login"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"user (\S+), password (\S+)", output)
    assert match, output
    return match.group(1), match.group(2)


def log_in_with_password(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base_url + "/")
