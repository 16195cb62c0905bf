"""Delivery: the write side's JSON API — parse, call ``bootstrap.handle``, translate errors."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, overload
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Header, Router, Status

from accounts_write import bootstrap
from accounts_write.application import errors as app
from accounts_write.application.results import AccountCommandResult, CommandResult, TransferResult
from accounts_write.domain import errors as domain
from accounts_write.domain.commands import (
    CloseAccount,
    Command,
    DepositFunds,
    OpenAccount,
    TransferFunds,
    WithdrawFunds,
)
from accounts_write.schemas import (
    AccountCommandOut,
    AmountIn,
    OpenAccountIn,
    TransferIn,
    TransferOut,
)
from config.api_auth import WRITE, WRITE_LIMIT, requesting_client
from config.api_errors import COMMANDS, ApiError, refuse_unknown_query
from config.apikeys import scoped_command_id

router = Router()

# One table: which error the client sees for each refusal (most specific class first).
ERRORS: dict[type[Exception], tuple[int, str]] = {
    domain.InvalidAmountError: (422, "invalid_amount"),
    domain.InvalidCurrencyError: (422, "invalid_currency"),
    domain.InvalidOwnerError: (422, "invalid_owner"),
    app.AccountNotFoundError: (404, "account_not_found"),
    domain.InsufficientFundsError: (409, "insufficient_funds"),
    domain.AccountClosedError: (409, "account_closed"),
    domain.CurrencyMismatchError: (409, "currency_mismatch"),
    domain.SelfTransferError: (409, "self_transfer"),
    domain.BalanceNotZeroError: (409, "balance_not_zero"),
    app.IdempotencyKeyReusedError: (409, "idempotency_key_reused"),
    app.ConcurrencyConflictError: (409, "concurrency_conflict"),
    app.WriteStoreUnavailableError: (503, "write_store_unavailable"),
    app.WriteStoreError: (503, "write_store_error"),
}
# A command without a body (close) cannot be malformed JSON or too large.
BODYLESS = {status: body for status, body in COMMANDS.items() if status not in (400, 413)}
GUARD: dict[str, Any] = {"auth": WRITE, "throttle": WRITE_LIMIT}

IdempotencyKey = Header(
    None,
    alias="Idempotency-Key",
    min_length=1,
    max_length=200,
    pattern=r"^[!-~]([ -~]*[!-~])?$",
    description=(
        "Makes the command safe to repeat: a repeat by the same API key returns the first response "
        "unchanged. Printable ASCII, at most 200 characters. Each key has its own namespace."
    ),
)


def api_error(exc: Exception) -> ApiError:
    status, code = next(entry for kind, entry in ERRORS.items() if isinstance(exc, kind))
    details = {"account_id": str(exc.account_id)} if isinstance(exc, app.AccountNotFoundError) else {}
    return ApiError(status, code, str(exc), details)


AccountCommand = OpenAccount | DepositFunds | WithdrawFunds | CloseAccount


@overload
def execute(
    request: HttpRequest, command: TransferFunds, idempotency_key: str | None, response: HttpResponse
) -> TransferResult: ...
@overload
def execute(
    request: HttpRequest, command: AccountCommand, idempotency_key: str | None, response: HttpResponse
) -> AccountCommandResult: ...
def execute(
    request: HttpRequest, command: Command, idempotency_key: str | None, response: HttpResponse
) -> CommandResult:
    """Run the command once per (API key, Idempotency-Key); mark replays; turn refusals into API errors.

    The result names the command id the client chose (or the one made for it), not the stored one.
    """
    refuse_unknown_query(request)
    client_key = idempotency_key if idempotency_key is not None else bootstrap.new_command_id()
    try:
        result = bootstrap.handle(
            command, scoped_command_id(requesting_client(request).namespace, client_key)
        )
    except (domain.DomainError, app.ApplicationError) as exc:
        raise api_error(exc) from exc
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return replace(result, command_id=client_key)


@router.post("/accounts", response={201: AccountCommandOut, **COMMANDS}, summary="Open an account", **GUARD)
def open_account(
    request: HttpRequest,
    response: HttpResponse,
    payload: OpenAccountIn,
    idempotency_key: str | None = IdempotencyKey,
) -> Status[AccountCommandResult]:
    command = OpenAccount(
        owner=payload.owner, currency=payload.currency, initial_deposit=payload.initial_deposit
    )
    result = execute(request, command, idempotency_key, response)
    response["Location"] = f"{request.path.rstrip('/')}/{result.account_id}"
    return Status(201, result)


@router.post(
    "/accounts/{account_id}/deposit",
    response={200: AccountCommandOut, **COMMANDS},
    summary="Deposit money",
    **GUARD,
)
def deposit(
    request: HttpRequest,
    response: HttpResponse,
    account_id: UUID,
    payload: AmountIn,
    idempotency_key: str | None = IdempotencyKey,
) -> AccountCommandResult:
    command = DepositFunds(account_id=account_id, amount=payload.amount)
    return execute(request, command, idempotency_key, response)


@router.post(
    "/accounts/{account_id}/withdraw",
    response={200: AccountCommandOut, **COMMANDS},
    summary="Withdraw money",
    **GUARD,
)
def withdraw(
    request: HttpRequest,
    response: HttpResponse,
    account_id: UUID,
    payload: AmountIn,
    idempotency_key: str | None = IdempotencyKey,
) -> AccountCommandResult:
    command = WithdrawFunds(account_id=account_id, amount=payload.amount)
    return execute(request, command, idempotency_key, response)


@router.post(
    "/accounts/{account_id}/close",
    response={200: AccountCommandOut, **BODYLESS},
    summary="Close an account (its balance must be zero)",
    **GUARD,
)
def close(
    request: HttpRequest,
    response: HttpResponse,
    account_id: UUID,
    idempotency_key: str | None = IdempotencyKey,
) -> AccountCommandResult:
    return execute(request, CloseAccount(account_id=account_id), idempotency_key, response)


@router.post(
    "/transfers",
    response={200: TransferOut, **COMMANDS},
    summary="Transfer money between two accounts (one transaction)",
    **GUARD,
)
def transfer(
    request: HttpRequest,
    response: HttpResponse,
    payload: TransferIn,
    idempotency_key: str | None = IdempotencyKey,
) -> TransferResult:
    command = TransferFunds(
        from_account=payload.from_account, to_account=payload.to_account, amount=payload.amount
    )
    return execute(request, command, idempotency_key, response)
