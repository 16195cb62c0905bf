"""Delivery: the API's error type and the one JSON error shape every route answers with."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Schema


class ApiError(Exception):
    """An error a route wants the client to see: HTTP status, stable code, human message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def refuse_unknown_query(request: HttpRequest, *allowed: str) -> None:
    """A query parameter the route does not take is a mistake to report (422), not to ignore."""
    unknown = sorted(set(request.GET) - set(allowed))
    if unknown:
        fields = [{"field": name, "message": "not a parameter of this route"} for name in unknown]
        names = ", ".join(repr(name) for name in unknown)
        raise ApiError(422, "validation_error", f"Unknown query parameter(s): {names}.", {"fields": fields})


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The body of every error response: ``{"error": {"code", "message", "details"}}``."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


class ErrorDetailOut(Schema):
    code: str
    message: str
    details: dict[str, Any]


class ErrorOut(Schema):
    """The documented body of every error response (for the OpenAPI schema)."""

    error: ErrorDetailOut


# What the OpenAPI document lists for each kind of route, besides its own answers: every status a
# route can give (the guard's, the body parser's), so that clients and schema-driven tests know them.
GUARDED: dict[int, type[ErrorOut]] = {401: ErrorOut, 403: ErrorOut}
READS: dict[int, type[ErrorOut]] = {**GUARDED, 422: ErrorOut, 503: ErrorOut}
COMMANDS: dict[int, type[ErrorOut]] = {
    **GUARDED,
    400: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
    503: ErrorOut,
}
