"""Delivery: the read API — accounts, ledgers and daily totals from MySQL (mounted under /api/)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from accounts_read import selectors
from accounts_read.models import AccountView
from accounts_read.schemas import (
    AccountOut,
    AccountPageOut,
    DailyTotalOut,
    LedgerLineOut,
    LedgerPageOut,
)
from config.api_errors import ApiError, ErrorOut

router = Router()

Limit = Query(50, ge=1, le=200, description="Page size (1–200).")
Offset = Query(0, ge=0, le=1_000_000, description="Items to skip.")


def not_found(account_id: UUID) -> ApiError:
    return ApiError(
        404,
        "account_not_found",
        f"No account {account_id} on the read side.",
        {"account_id": str(account_id)},
    )


@router.get("/accounts", response=AccountPageOut, summary="List accounts (read side)")
def list_accounts(
    request: HttpRequest,
    status: Literal["open", "closed"] | None = None,
    owner: str | None = Query(None, max_length=200, description="Exact owner name."),
    limit: int = Limit,
    offset: int = Offset,
) -> AccountPageOut:
    page = selectors.account_list(status=status, owner=owner, limit=limit, offset=offset)
    return AccountPageOut(
        items=[AccountOut.of(view) for view in page.items],
        count=page.count,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/accounts/{account_id}",
    response={200: AccountOut, 404: ErrorOut, 422: ErrorOut},
    summary="One account (read side); ?min_version=N waits briefly for read-your-writes",
    description=(
        "Without min_version: the account as projected now. With min_version=N: waits up to "
        "READ_YOUR_WRITES_TIMEOUT_SECONDS (2 s by default) for the projection to reach version N. "
        "If it does not, the answer is still 200 with the account as it is, "
        "`min_version_reached: false` and the header `X-Min-Version-Reached: false`; an account "
        "not projected at all by then is a 404."
    ),
)
def get_account(
    request: HttpRequest,
    response: HttpResponse,
    account_id: UUID,
    min_version: int | None = Query(None, ge=1, le=2**31 - 1, description="Wait for this version."),
) -> AccountOut:
    reached: bool | None = None
    view: AccountView | None
    if min_version is None:
        view = selectors.account_detail(account_id)
    else:
        read = selectors.account_at_version(
            account_id,
            min_version,
            timeout=settings.READ_YOUR_WRITES_TIMEOUT_SECONDS,
            poll=settings.READ_YOUR_WRITES_POLL_SECONDS,
        )
        view, reached = read.account, read.reached
        response["X-Min-Version-Reached"] = "true" if reached else "false"
    if view is None:
        raise not_found(account_id)
    response["X-Projection-Version"] = str(view.version)
    return AccountOut.of(view, reached)


@router.get(
    "/accounts/{account_id}/ledger",
    response={200: LedgerPageOut, 404: ErrorOut, 422: ErrorOut},
    summary="An account's ledger lines, oldest first (read side)",
)
def get_ledger(
    request: HttpRequest, account_id: UUID, limit: int = Limit, offset: int = Offset
) -> LedgerPageOut:
    if selectors.account_detail(account_id) is None:
        raise not_found(account_id)
    page = selectors.ledger_page(account_id, limit=limit, offset=offset)
    return LedgerPageOut(
        account_id=account_id,
        items=[LedgerLineOut.of(line) for line in page.items],
        count=page.count,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/daily-totals", response=list[DailyTotalOut], summary="Money moved per day and currency")
def list_daily_totals(
    request: HttpRequest,
    currency: str | None = Query(None, min_length=3, max_length=3),
    since: date | None = None,
    limit: int = Query(31, ge=1, le=366),
) -> list[DailyTotalOut]:
    totals = selectors.daily_totals(currency=currency, since=since, limit=limit)
    return [DailyTotalOut.of(total) for total in totals]
