"""Browser tests of the demo page on the real stack: stand-in, web server and projector processes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.e2e.browser.actions import READ, WRITE, balance, deposit, open_account
from tests.e2e.browser.browser import DESKTOP, PHONE, Watch, chromium, watched_context
from tests.e2e.browser.stack import DemoStack

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def lag_seconds(page: Page) -> float:
    text = page.locator("#sync-lag").inner_text()
    match = re.fullmatch(r"([\d.]+) s", text.strip())
    assert match, text
    return float(match.group(1))


def test_an_account_opened_from_the_page_appears_in_both_panes(page: Page, demo_stack: DemoStack) -> None:
    page.goto(demo_stack.base_url + "/")

    account_id = open_account(page, "Grace Hopper", "42.00")

    expect(balance(page, WRITE, account_id)).to_have_text("42.00 EUR")
    expect(balance(page, READ, account_id)).to_have_text("42.00 EUR")
    expect(page.get_by_role("region", name=READ).locator("tr", has_text="Grace Hopper")).to_be_visible()
    expect(page.get_by_role("region", name="Account timeline")).to_contain_text("in step")


def test_a_deposit_reaches_the_read_pane_within_two_seconds(page: Page, demo_stack: DemoStack) -> None:
    page.goto(demo_stack.base_url + "/")
    account_id = open_account(page, "Ada Lovelace", "10.00")
    expect(balance(page, READ, account_id)).to_have_text("10.00 EUR")

    deposit(page, account_id, "2.50")

    expect(balance(page, READ, account_id)).to_have_text("12.50 EUR", timeout=2_000)
    ledger = page.get_by_role("region", name=READ).locator("table.ledger")
    expect(ledger).to_contain_text("2.50")


def test_send_twice_answers_the_second_time_as_a_replay_and_deposits_once(
    page: Page, demo_stack: DemoStack
) -> None:
    page.goto(demo_stack.base_url + "/")
    account_id = open_account(page, "Katherine Johnson", "10.00")

    deposit(page, account_id, "5.00", button="Send twice")

    form = page.get_by_role("form", name="Deposit")
    expect(form).to_contain_text("First send")
    expect(form).to_contain_text("Second send, same command id")
    answers = form.locator(".answer")
    expect(answers).to_have_count(2)
    expect(answers.nth(0)).not_to_contain_text("Replayed")
    expect(answers.nth(1)).to_contain_text("Replayed, nothing ran again")
    expect(balance(page, WRITE, account_id)).to_have_text("15.00 EUR")
    expect(balance(page, READ, account_id)).to_have_text("15.00 EUR")
    page.wait_for_timeout(600)  # one more refresh: still one deposit
    expect(balance(page, READ, account_id)).to_have_text("15.00 EUR")
    assert demo_stack.get_json(f"/api/accounts/{account_id}/ledger")["count"] == 2


def test_a_paused_projector_lets_the_read_pane_lag_and_it_converges_on_resume(
    page: Page, demo_stack: DemoStack
) -> None:
    page.goto(demo_stack.base_url + "/")
    account_id = open_account(page, "Barbara Liskov", "20.00")
    expect(balance(page, READ, account_id)).to_have_text("20.00 EUR")

    page.get_by_role("button", name="Pause projector").click()
    expect(page.locator("#projector-state")).to_contain_text("paused")
    page.wait_for_timeout(500)  # the projector looks at the switch between batches (every 0.1 s)
    deposit(page, account_id, "7.00")

    expect(balance(page, WRITE, account_id)).to_have_text("27.00 EUR")
    expect(page.locator("#sync-lag")).not_to_have_text("0.0 s")
    first = lag_seconds(page)
    page.wait_for_timeout(1_500)  # not time.sleep: the network guard answers the page's requests
    assert lag_seconds(page) > first
    expect(balance(page, READ, account_id)).to_have_text("20.00 EUR")
    expect(page.get_by_role("region", name="Account timeline")).to_contain_text("1 behind")
    assert demo_stack.get_json("/api/sync/status")["projector"]["paused"] is True

    page.get_by_role("button", name="Resume projector").click()

    expect(balance(page, READ, account_id)).to_have_text("27.00 EUR")
    expect(page.locator("#sync-lag")).to_have_text("0.0 s")
    expect(page.get_by_role("region", name="Account timeline")).to_contain_text("in step")


def test_api_docs_show_the_operations_with_every_request_kept_on_the_host(
    page: Page, watch: Watch, demo_stack: DemoStack
) -> None:
    page.goto(demo_stack.base_url + "/api/docs")

    for path in ("/api/accounts", "/api/accounts/{account_id}/deposit", "/api/transfers", "/api/sync/status"):
        expect(page.get_by_text(path, exact=True).first).to_be_visible()
    expect(page.get_by_text("Open an account").first).to_be_visible()
    assert watch.blocked == []


def test_the_network_guard_blocks_and_records_requests_that_leave_the_host() -> None:
    watch = Watch()
    with chromium() as browser, watched_context(browser, watch) as context:
        page = context.new_page()
        page.set_content("<p>guarded</p>")
        page.evaluate("fetch('http://example.invalid/probe').catch(() => null)")
        page.wait_for_timeout(300)
    assert watch.blocked == ["http://example.invalid/probe"]


def test_no_page_logs_a_console_error(
    admin_user: Any, page: Page, watch: Watch, demo_stack: DemoStack
) -> None:
    base = demo_stack.base_url
    page.goto(base + "/")
    expect(page.get_by_role("region", name=WRITE)).to_be_visible()
    page.wait_for_timeout(1_200)  # a couple of live refreshes
    page.goto(base + "/api/docs")
    expect(page.get_by_text("/api/accounts", exact=True).first).to_be_visible()
    page.goto(base + "/admin/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Accounts (read side)")).to_be_visible()
    for path in ("/admin/projector/projectorcontrol/", "/admin/accounts_read/accountview/", "/metrics"):
        page.goto(base + path)
    page.wait_for_timeout(300)
    assert watch.console_errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "phone"])
def test_the_page_fits_the_screen_with_both_sides_on_it(
    page: Page, demo_stack: DemoStack, viewport: ViewportSize
) -> None:
    page.set_viewport_size(viewport)
    page.goto(demo_stack.base_url + "/")
    open_account(page, "Edsger Dijkstra", "1.00")

    for name in (WRITE, "Sync", READ, "Account timeline", "Commands"):
        expect(page.get_by_role("region", name=name)).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {viewport}"


def test_a_live_part_holding_the_keyboard_focus_waits_until_the_focus_leaves(
    page: Page, demo_stack: DemoStack
) -> None:
    page.goto(demo_stack.base_url + "/")
    account_id = open_account(page, "Tab User", "3.00")
    read_side = page.get_by_role("region", name=READ)
    read_side.get_by_role("link", name="Tab User").focus()

    page.wait_for_timeout(1_200)  # two refresh periods

    assert page.evaluate("document.activeElement.textContent") == "Tab User"
    page.get_by_role("form", name="Deposit").get_by_label("Amount").focus()
    deposit(page, account_id, "1.00")
    expect(balance(page, READ, account_id)).to_have_text("4.00 EUR")
