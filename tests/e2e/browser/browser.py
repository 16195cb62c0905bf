"""Browser-test infrastructure: Debian's chromium driven by Playwright, kept on this host.

Every request a page makes goes through a route that lets 127.0.0.1 through and aborts (and
records) anything else; console errors and uncaught page errors are recorded too. Playwright's
own browser downloads are never used: ``CHROMIUM`` names the executable (/usr/bin/chromium).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Route,
    ViewportSize,
    sync_playwright,
)

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
LOCAL_HOSTS = {"127.0.0.1"}


@dataclass
class Watch:
    """What the pages of one browser context did that they must not do."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def on_route(self, route: Route) -> None:
        url = route.request.url
        if urlparse(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def on_page_error(self, error: Error) -> None:
        self.console_errors.append(f"uncaught: {error}")

    def watch(self, page: Page) -> None:
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def watched_context(
    browser: Browser, watch: Watch, viewport: ViewportSize = DESKTOP
) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=viewport)
    context.route("**/*", watch.on_route)
    context.on("page", watch.watch)
    try:
        yield context
    finally:
        context.close()
