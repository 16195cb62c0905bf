"""Composition root of the JSON API: one NinjaAPI, the apps' routers, the error handlers."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.operation import PathView

from accounts_read.api import router as read_router
from accounts_write.api import router as write_router
from config.api_errors import ApiError, error_body
from projector.api import router as sync_router

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="CQRS Sync API",
    version="1.0.0",
    description=(
        "Commands go to the MongoDB write side; queries are answered from the MySQL read side, "
        'which the projector keeps in step. Amounts are decimal strings such as "12.50". '
        'Errors are JSON: {"error": {"code", "message", "details"}}. '
        "Every route takes an API key, `Authorization: Bearer KEY`: GET routes need its read scope, "
        "commands its write scope; commands take JSON bodies only and are limited per key "
        "(API_WRITE_RATE_LIMIT a minute; 429 with Retry-After beyond)."
    ),
    urls_namespace="api",
)


def merge_routers(tagged: list[tuple[Router, str]]) -> Router:
    """One router holding every operation of the given routers, one view per path.

    The write side's ``POST /accounts`` and the read side's ``GET /accounts`` share a path, and
    Django dispatches a path to the first URL pattern that matches it. Ninja chooses between
    methods only inside one path view, so routers that share a path must be merged into one
    before mounting (ninja issue #1546). This reaches into ninja (``path_operations``,
    ``PathView``): tests/e2e/api/test_route_table.py checks every route is still served.
    """
    merged = Router()
    for router, tag in tagged:
        for path, view in router.path_operations.items():
            target = merged.path_operations.setdefault(path, PathView())
            for operation in view.operations:
                operation.tags = operation.tags or [tag]
                target.operations.append(operation)
            target.is_async = target.is_async or view.is_async
    return merged


api.add_router("/", merge_routers([(write_router, "commands"), (read_router, "queries")]))
api.add_router("/sync", sync_router, tags=["sync"])


def _field_path(location: Any) -> str:
    # Ninja reports ("body", "payload", "amount"); clients want "amount".
    parts = [str(part) for part in location if part not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = [
        {"field": _field_path(err.get("loc", ())), "message": str(err.get("msg", "invalid"))}
        for err in exc.errors
    ]
    summary = "; ".join(f"{item['field']}: {item['message']}" for item in fields)
    return api.create_response(
        request,
        error_body("validation_error", f"The request is not valid: {summary}", {"fields": fields}),
        status=422,
    )


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    response = api.create_response(request, error_body(exc.code, exc.message, exc.details), status=exc.status)
    for name, value in exc.headers.items():
        response[name] = value
    return response


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = "This route needs an API key: send 'Authorization: Bearer KEY'."
    response = api.create_response(request, error_body("unauthenticated", message), status=401)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(Throttled)
def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    # Ninja adds Retry-After (whole seconds) to this answer.
    message = f"Too many commands: at most {settings.API_WRITE_RATE_LIMIT} a minute per API key."
    return api.create_response(request, error_body("rate_limited", message), status=429)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = "bad_request" if exc.status_code == 400 else f"http_{exc.status_code}"
    message = str(exc)
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = "The request body is not valid JSON."
    return api.create_response(request, error_body(code, message), status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def on_body_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return api.create_response(
        request, error_body("payload_too_large", "The request body is too large."), status=413
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body("not_found", str(exc) or "Not found."), status=404)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_read_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The read database is unreachable, restarting or refused a lock for now: a 503 the client may
    # retry, as the write side answers while MongoDB is away — not a 500 that reports a bug.
    logger.warning("read database unavailable on %s %s: %s", request.method, request.path, exc)
    response = api.create_response(
        request,
        error_body("read_database_unavailable", "The read database cannot be reached; try again shortly."),
        status=503,
    )
    response["Retry-After"] = "1"
    return response


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("unhandled error on %s %s", request.method, request.path, exc_info=exc)
    return api.create_response(
        request,
        error_body("internal_error", "An unexpected error occurred; it has been logged."),
        status=500,
    )
