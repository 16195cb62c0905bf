"""Delivery: the API's error type and the one JSON error shape every route answers with."""

from __future__ import annotations

from typing import Any

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
