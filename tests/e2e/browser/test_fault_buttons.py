"""Browser tests of the fault buttons that use the operations, on the real stack (stand-in, web,
projector): a poisoned account's dead letter and parked event, cured and retried; a corrupted read
row found by reconcile and repaired; a blue/green replay while the read pane keeps answering."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.browser.actions import READ, TIMELINE, WRITE, balance, deposit, open_account
from tests.e2e.browser.stack import DemoStack

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def timeline_row(page: Page, version: int) -> Locator:
    return page.get_by_role("region", name=TIMELINE).locator(f'tr[data-version="{version}"]')


def test_a_poisoned_account_s_deposit_goes_dead_parks_the_next_and_both_apply_after_cure_and_retry(
    page: Page, demo_stack: DemoStack
) -> None:
    page.goto(demo_stack.base_url + "/")
    account_id = open_account(page, "Alan Turing", "10.00")
    expect(balance(page, READ, account_id)).to_have_text("10.00 EUR")
    timeline = page.get_by_role("region", name=TIMELINE)

    timeline.get_by_role("button", name="Poison this account").click()
    expect(timeline.get_by_role("status")).to_contain_text("Poisoned")
    for amount, version in (("5.00", 3), ("7.00", 4)):  # one after the other, as a person would
        deposit(page, account_id, amount)
        expect(page.get_by_role("form", name="Deposit").get_by_role("status")).to_contain_text(
            f"version {version}"
        )

    expect(balance(page, WRITE, account_id)).to_have_text("22.00 EUR")
    dead, parked = timeline_row(page, 3), timeline_row(page, 4)
    expect(dead.locator(".delivery")).to_have_text("dead", timeout=20_000)  # 3 attempts, short backoff
    expect(dead).to_contain_text("demo fault: the projector was told to fail on this account's events")
    expect(parked).to_contain_text("parked")
    expect(balance(page, READ, account_id)).to_have_text("10.00 EUR")
    expect(page.locator("#sync-dead-letters")).to_have_text("1")

    timeline.get_by_role("button", name="Cure the poison").click()
    expect(timeline.get_by_role("status")).to_contain_text("Cured")
    page.wait_for_timeout(1_500)  # a dead letter stays dead once cured: nothing retries it by itself
    expect(dead.locator(".delivery")).to_have_text("dead")

    dead.get_by_role("button", name="Retry").click()

    expect(timeline.get_by_role("status")).to_contain_text("Retry: applied; 1 parked event released.")
    expect(dead.locator(".delivery")).to_have_text("done")
    expect(parked.locator(".delivery")).to_have_text("done")
    expect(dead).to_contain_text("applied")
    expect(parked).to_contain_text("applied")
    expect(balance(page, READ, account_id)).to_have_text("22.00 EUR")
    expect(timeline).to_contain_text("in step")


def test_a_corrupted_read_row_is_found_by_reconcile_and_repaired_by_reconcile_and_fix(
    page: Page, demo_stack: DemoStack
) -> None:
    page.goto(demo_stack.base_url + "/")
    account_id = open_account(page, "Grace Hopper", "30.00")
    expect(balance(page, READ, account_id)).to_have_text("30.00 EUR")

    page.get_by_role("region", name=TIMELINE).get_by_role(
        "button", name="Corrupt this account's read row"
    ).click()

    expect(balance(page, READ, account_id)).to_have_text("1030.00 EUR")
    expect(balance(page, WRITE, account_id)).to_have_text("30.00 EUR")
    strip = page.get_by_role("region", name="Sync")
    strip.get_by_label("Accounts to check").select_option(label="The selected account")
    strip.get_by_role("button", name="Reconcile", exact=True).click()
    expect(strip.get_by_role("status")).to_contain_text("1 checked, 1 drifted")
    drift = strip.get_by_role("table", name="Drift found")
    expect(drift.locator("tr", has_text="balance")).to_contain_text("30.00")
    expect(drift.locator("tr", has_text="balance")).to_contain_text("1030.00")
    expect(drift.locator("tr", has_text="owner")).to_contain_text("Grace Hopper (corrupted)")

    strip.get_by_role("button", name="Reconcile and fix").click()

    expect(strip.get_by_role("status")).to_contain_text("1 re-projected from their events and now clean")
    expect(balance(page, READ, account_id)).to_have_text("30.00 EUR")
    expect(page.get_by_role("region", name=READ).locator("tr", has_text="Grace Hopper")).not_to_contain_text(
        "corrupted"
    )
    expect(page.locator("#reconcile-summary")).to_contain_text("0 drifted")


def test_replay_all_swaps_the_rebuilt_read_models_in_while_the_read_pane_keeps_answering(
    page: Page, demo_stack: DemoStack
) -> None:
    page.goto(demo_stack.base_url + "/")
    account_id = open_account(page, "Frances Allen", "8.00")
    deposit(page, account_id, "2.00")
    expect(balance(page, READ, account_id)).to_have_text("10.00 EUR")
    strip = page.get_by_role("region", name="Sync")

    strip.get_by_role("button", name="Replay all (blue/green)").click()

    # Meanwhile the page goes on polling both panes every 0.5 s: a read answered with an error
    # would be a console error, which fails the test (the page fixture).
    expect(strip.get_by_role("status")).to_contain_text("Replay")
    expect(page.locator("#replay-progress")).to_contain_text("Swapped in", timeout=30_000)
    expect(page.locator("#replay-progress")).to_contain_text("3 events read, 3 applied")
    expect(balance(page, READ, account_id)).to_have_text("10.00 EUR")
    assert demo_stack.get_json(f"/api/accounts/{account_id}")["balance"] == "10.00"
