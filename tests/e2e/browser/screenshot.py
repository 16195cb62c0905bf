"""Make docs/demo-page.png from the running demo: ``python -m tests.e2e.browser.screenshot``.

Starts the real stack on scratch databases (a MySQL database named after ``DATABASE_URL``'s with
``_screenshot`` appended, made afresh; a stand-in MongoDB unless ``MONGO_URL`` is set), drives a
few commands through the page as a person would, pauses the projector so that the read side is
visibly one event behind, and saves a full-page screenshot at 1280 px wide.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import environ
import MySQLdb
from playwright.sync_api import Page, expect

from tests.e2e.browser.browser import Watch, chromium, watched_context
from tests.e2e.browser.login import log_in_with_password, staff_login
from tests.e2e.browser.stack import REPO_ROOT, DemoStack
from tests.mongo_standin.process import mongo_url_or_standin

DEFAULT_OUTPUT = REPO_ROOT / "docs" / "demo-page.png"


@contextmanager
def scratch_mysql(base_url: str) -> Iterator[str]:
    """A fresh, migrated MySQL database beside the configured one; dropped afterwards."""
    config = environ.Env.db_url_config(base_url)
    name = f"{config['NAME']}_screenshot"
    server = MySQLdb.connect(
        host=config.get("HOST") or "127.0.0.1",
        port=int(config.get("PORT") or 3306),
        user=config.get("USER") or "root",
        passwd=config.get("PASSWORD") or "",
    )
    url = base_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        cursor = server.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        manage(url, "migrate", "--noinput")
        yield url
    finally:
        server.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        server.close()


def manage(database_url: str, *args: str, **env: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=str(REPO_ROOT),
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url,
            **env,
        },
        check=True,
        stdout=subprocess.DEVNULL,
    )


def send(page: Page, form_name: str, button: str, **fields: str) -> None:
    """Fill a form as a person would (an account field takes an account id) and press ``button``."""
    form = page.get_by_role("form", name=form_name)
    for name, value in fields.items():
        field = form.get_by_label(name.replace("_", " "), exact=True)
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_role("form", name=form_name).locator(".answer").last).to_be_visible()


def account_id(page: Page, owner: str) -> str:
    row = page.get_by_role("region", name="Write side (MongoDB)").locator("tr", has_text=owner)
    expect(row).to_be_visible()
    return row.get_attribute("data-account") or ""


def drive(page: Page, base_url: str) -> None:
    """A minute of demo: two accounts, money moving, then a paused projector and a double submit."""
    page.goto(base_url + "/")
    send(page, "Open an account", "Open account", Owner="Ada Lovelace", Initial_deposit="250.00")
    send(page, "Open an account", "Open account", Owner="Alan Turing", Initial_deposit="40.00")
    ada, alan = account_id(page, "Ada Lovelace"), account_id(page, "Alan Turing")
    send(page, "Withdraw", "Withdraw", Account=alan, Amount="12.50")
    send(page, "Transfer", "Transfer", From_account=ada, To_account=alan, Amount="30.00")
    page.goto(f"{base_url}/?account={ada}")
    page.get_by_role("button", name="Pause projector").click()
    expect(page.locator("#projector-state")).to_contain_text("paused")
    page.wait_for_timeout(500)  # the projector looks at the switch between batches
    form = page.get_by_role("form", name="Deposit")
    form.get_by_label("Amount").fill("25.50")
    form.get_by_role("button", name="Send twice").click()
    expect(page.get_by_role("form", name="Deposit")).to_contain_text("Second send")
    expect(page.get_by_role("region", name="Account timeline")).to_contain_text("1 behind")
    page.wait_for_timeout(2_000)  # the lag indicator climbs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help=f"PNG to write ({DEFAULT_OUTPUT})"
    )
    options = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "mysql://root:@127.0.0.1:3306/cqrs_read")
    mongo_db = f"demo_screenshot_{uuid.uuid4().hex[:8]}"
    with scratch_mysql(base) as database_url, mongo_url_or_standin() as mongo_url:
        manage(database_url, "ensure_mongo", MONGO_URL=mongo_url, MONGO_DB=mongo_db)
        stack = DemoStack(database_url=database_url, mongo_url=mongo_url, mongo_db=mongo_db)
        watch = Watch()
        with stack, chromium() as browser, watched_context(browser, watch) as context:
            page = context.new_page()
            page.set_default_timeout(15_000)
            log_in_with_password(page, stack.base_url, *staff_login(database_url))
            drive(page, stack.base_url)
            options.output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(options.output), full_page=True)
            page.get_by_role("button", name="Resume projector").click()
    if watch.blocked or watch.console_errors:
        sys.exit(f"the page misbehaved: blocked {watch.blocked}, console errors {watch.console_errors}")
    sys.stdout.write(f"saved {options.output}\n")


if __name__ == "__main__":
    main()
