"""Delivery: the demo page's read side — account views and the selected account's ledger, from MySQL."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts_read import selectors
from config.selection import selected_account

logger = logging.getLogger(__name__)

PANE_ACCOUNTS = 8
PANE_LEDGER_LINES = 10


def read_pane_context(selected: UUID | None) -> dict[str, Any]:
    try:
        accounts = selectors.newest_accounts(PANE_ACCOUNTS)
        account = selectors.account_detail(selected) if selected is not None else None
        ledger = selectors.latest_ledger_lines(account.account_id, PANE_LEDGER_LINES) if account else None
    except DatabaseError as exc:
        logger.warning("demo read pane: the read database cannot be reached: %s", exc)
        return {"read_error": "MySQL cannot be reached right now.", "selected": selected}
    return {
        "read_accounts": accounts.items,
        "read_total": accounts.count,
        "read_account": account,
        "ledger": ledger,
        "selected": selected,
    }


def read_pane(request: HttpRequest) -> HttpResponse:
    """The read pane's live part (polled by the page)."""
    return render(request, "accounts_read/pane.html", read_pane_context(selected_account(request)))
