"""Browser-test helpers: what a person does on the demo page (open an account, deposit) and where to look."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

WRITE = "Write side (MongoDB)"
READ = "Read side (MySQL)"
TIMELINE = "Account timeline"


def open_account(page: Page, owner: str, deposit: str) -> str:
    """Open an account through the page's form; return its id once the write pane lists it."""
    form = page.get_by_role("form", name="Open an account")
    form.get_by_label("Owner").fill(owner)
    form.get_by_label("Initial deposit").fill(deposit)
    form.get_by_role("button", name="Open account").click()
    expect(page.get_by_role("form", name="Open an account").get_by_role("status")).to_contain_text("Opened")
    row = page.get_by_role("region", name=WRITE).locator("tr", has_text=owner)
    expect(row).to_be_visible()
    account_id = row.get_attribute("data-account")
    assert account_id
    return account_id


def balance(page: Page, side: str, account_id: str) -> Locator:
    return page.get_by_role("region", name=side).locator(f'tr[data-account="{account_id}"] .balance')


def deposit(page: Page, account_id: str, amount: str, button: str = "Deposit") -> None:
    form = page.get_by_role("form", name="Deposit")
    form.get_by_label("Account").select_option(account_id)
    form.get_by_label("Amount").fill(amount)
    form.get_by_role("button", name=button).click()
