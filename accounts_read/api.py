"""Delivery: the read API — accounts, ledgers and daily totals from MySQL (mounted under /api/)."""

# No ``from __future__ import annotations`` here: ``@paginate`` wraps the views, and ninja resolves
# string annotations in the wrapper's module (ninja.pagination), where these names do not exist.
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.pagination import paginate
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from accounts_read import selectors
from accounts_read.models import AccountView, DailyTotal, LedgerLine
from accounts_read.pagination import LedgerPage, LimitOffsetPage
from accounts_read.schemas import AccountOut, DailyTotalOut, LedgerLineOut
from config.api_auth import READ
from config.api_errors import READS, ApiError, ErrorOut, refuse_unknown_query

router = Router()


def _iso_date_only(value: object) -> object:
    # Pydantic would take 0 as 1970-01-01; a day is written YYYY-MM-DD.
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise PydanticCustomError("iso_date", "must be a day written YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]

_waiters_lock = threading.Lock()
_waiters: tuple[int, threading.BoundedSemaphore] | None = None


@contextmanager
def waiting_slot() -> Iterator[bool]:
    """Whether this request may wait for ``min_version``: a process lets only so many wait at once.

    A wait holds a server thread for up to READ_YOUR_WRITES_TIMEOUT_SECONDS; without a bound, a few
    clients asking for versions that never come would hold every thread of the process.
    """
    global _waiters
    size = settings.READ_YOUR_WRITES_MAX_WAITERS
    if size <= 0:
        yield False
        return
    with _waiters_lock:
        if _waiters is None or _waiters[0] != size:
            _waiters = (size, threading.BoundedSemaphore(size))
        semaphore = _waiters[1]
    acquired = semaphore.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            semaphore.release()


def not_found(account_id: UUID) -> ApiError:
    return ApiError(
        404,
        "account_not_found",
        f"No account {account_id} on the read side.",
        {"account_id": str(account_id)},
    )


@router.get(
    "/accounts",
    response={200: list[AccountOut], **READS},
    summary="List accounts (read side)",
    description="Every account, to every client with the read scope (a demo bank: no per-client accounts).",
    auth=READ,
)
@paginate(LimitOffsetPage)
def list_accounts(
    request: HttpRequest,
    status: Literal["open", "closed"] | None = None,
    owner: str | None = Query(
        None,
        max_length=200,
        description="Exact owner name: compared code point by code point (case, accents and emoji count).",
    ),
) -> QuerySet[AccountView]:
    refuse_unknown_query(request, "status", "owner", "limit", "offset")
    return selectors.account_list(status=status, owner=owner)


@router.get(
    "/accounts/{account_id}",
    response={200: AccountOut, 404: ErrorOut, **READS},
    summary="One account (read side); ?min_version=N waits briefly for read-your-writes",
    description=(
        "Without min_version: the account as projected now. With min_version=N: waits up to "
        "READ_YOUR_WRITES_TIMEOUT_SECONDS (2 s by default) for the projection to reach version N. "
        "If it does not, the answer is still 200 with the account as it is, "
        "`min_version_reached: false` and the header `X-Min-Version-Reached: false`; an account "
        "not projected at all by then is a 404. A process lets at most READ_YOUR_WRITES_MAX_WAITERS "
        "requests wait at once; beyond that the answer comes at once, as if the wait had run out."
    ),
    auth=READ,
)
def get_account(
    request: HttpRequest,
    response: HttpResponse,
    account_id: UUID,
    min_version: int | None = Query(None, ge=1, le=2**31 - 1, description="Wait for this version."),
) -> AccountOut:
    refuse_unknown_query(request, "min_version")
    reached: bool | None = None
    view: AccountView | None
    if min_version is None:
        view = selectors.account_detail(account_id)
    else:
        with waiting_slot() as may_wait:
            read = selectors.account_at_version(
                account_id,
                min_version,
                timeout=settings.READ_YOUR_WRITES_TIMEOUT_SECONDS if may_wait else 0.0,
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
    response={200: list[LedgerLineOut], 404: ErrorOut, **READS},
    summary="An account's ledger lines, oldest first (read side)",
    auth=READ,
)
@paginate(LedgerPage)
def get_ledger(request: HttpRequest, account_id: UUID) -> QuerySet[LedgerLine]:
    refuse_unknown_query(request, "limit", "offset")
    if selectors.account_detail(account_id) is None:
        raise not_found(account_id)
    return selectors.ledger_lines(account_id)


@router.get(
    "/daily-totals",
    response={200: list[DailyTotalOut], **READS},
    summary="Money moved per day and currency",
    auth=READ,
)
def list_daily_totals(
    request: HttpRequest,
    currency: str | None = Query(None, pattern="^[A-Z]{3}$", description="An ISO 4217 code, such as EUR."),
    since: IsoDate | None = None,
    limit: int = Query(31, ge=1, le=366),
) -> list[DailyTotal]:
    refuse_unknown_query(request, "currency", "since", "limit")
    return selectors.daily_totals(currency=currency, since=since, limit=limit)
