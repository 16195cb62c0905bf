"""Browser tests: the demo page, the login page, the admin and the API docs break no rule of the
Content-Security-Policy (no inline script or style, nothing from another host)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser.login import log_in, session_of
from tests.e2e.browser.stack import DemoStack

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

# Each page records the violations the browser reports (the policy blocks them; this makes them seen).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""


def violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__cspViolations"))


@pytest.fixture
def admin_session(admin_user: Any) -> str:
    return session_of(admin_user)


def test_no_page_violates_the_content_security_policy(
    admin_session: str, page: Page, demo_stack: DemoStack
) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    base = demo_stack.base_url
    found: dict[str, list[str]] = {}

    page.goto(base + "/")
    form = page.get_by_role("form", name="Open an account")
    form.get_by_label("Owner").fill("Policy Petra")
    form.get_by_label("Initial deposit").fill("3.00")
    form.get_by_role("button", name="Open account").click()
    expect(form.get_by_role("status")).to_contain_text("Opened")
    page.wait_for_timeout(1_200)  # live refreshes swap parts in
    found["/"] = violations(page)

    page.goto(base + "/api/docs")
    expect(page.get_by_text("/api/accounts", exact=True).first).to_be_visible()
    found["/api/docs"] = violations(page)

    page.context.clear_cookies()
    page.goto(base + "/login/")
    found["/login/"] = violations(page)

    log_in(page.context, base, admin_session)
    for path in (
        "/admin/",
        "/admin/config/apikey/",
        "/admin/config/apikey/add/",
        "/admin/projector/outboxentry/",
        "/admin/accounts_read/accountview/",
    ):
        page.goto(base + path)
        found[path] = violations(page)

    assert {path: seen for path, seen in found.items() if seen} == {}
