"""Delivery: which account the demo page shows in detail (shared by the page and its live parts)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest

# The page's address carries ``?account=<id>``; its live parts and forms send the hidden
# ``selected`` field that the page keeps up to date.
PAGE_PARAMETER = "account"
FIELD = "selected"


def selected_account(request: HttpRequest) -> UUID | None:
    """The selected account's id, or None when none (or no valid id) is given."""
    raw = request.GET.get(PAGE_PARAMETER) or request.GET.get(FIELD) or request.POST.get(FIELD)
    if not raw:
        return None
    try:
        return UUID(raw.strip())
    except ValueError:
        return None
