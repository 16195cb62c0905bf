"""Delivery: who may call the JSON API — bearer API keys with scopes, JSON-only writes, write limits.

Every ``/api/`` operation names its guard: ``READ`` (GET routes) or ``WRITE`` (commands), and the
commands also ``WRITE_LIMIT``. Ninja runs the guard before it parses anything, so an unknown key
is a 401, a key without the scope a 403, a write whose body is not JSON a 415, and a client over
its write budget a 429 with ``Retry-After`` — all in the API's JSON error shape.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from limits import RateLimitItemPerMinute
from limits.storage import Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from config.api_errors import ApiError
from config.apikeys import ApiClient, client_for

logger = logging.getLogger(__name__)

JSON_MEDIA_TYPE = "application/json"


class ApiKeyBearer(HttpBearer):
    """``Authorization: Bearer KEY`` with a key that holds ``scope`` (OpenAPI: an HTTP bearer scheme)."""

    openapi_bearerFormat = "API key"  # noqa: N815 (ninja turns openapi_* attributes into the scheme)
    openapi_description = (
        "An API key from `manage.py apikey create NAME --scopes read,write` (or the admin). GET routes "
        "need the read scope, commands the write scope."
    )

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        client = client_for(token.strip())
        if client is None:
            raise ApiError(
                401,
                "invalid_api_key",
                "The API key is not valid: unknown or revoked.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if self.scope not in client.scopes:
            raise ApiError(
                403,
                "insufficient_scope",
                f"The API key {client.name!r} lacks the {self.scope!r} scope.",
                {"required_scope": self.scope, "scopes": sorted(client.scopes)},
            )
        if self.scope == "write":
            require_json_body(request)
        return client


def require_json_body(request: HttpRequest) -> None:
    """A command's body is JSON or absent: a form or text body (what a cross-site page sends) is a 415."""
    declared = (request.content_type or "").lower()
    if declared == JSON_MEDIA_TYPE:
        return
    has_body = (
        request.META.get("CONTENT_LENGTH") not in (None, "", "0") or "HTTP_TRANSFER_ENCODING" in request.META
    )
    if not declared and not has_body:
        return
    raise ApiError(
        415,
        "unsupported_media_type",
        f"Commands take a JSON body (Content-Type: {JSON_MEDIA_TYPE}), not {declared or 'an untyped body'}.",
        {"content_type": declared},
    )


def requesting_client(request: HttpRequest) -> ApiClient:
    """The client the guard recognised (every /api/ operation has one)."""
    client = getattr(request, "auth", None)
    if not isinstance(client, ApiClient):
        raise TypeError(f"{request.method} {request.path} runs without READ or WRITE auth")
    return client


# --- the write budget ---------------------------------------------------------------------------

_storage_lock = threading.Lock()
_limiter: SlidingWindowCounterRateLimiter | None = None


def _write_limiter() -> SlidingWindowCounterRateLimiter:
    global _limiter
    with _storage_lock:
        if _limiter is None:
            storage = storage_from_string(
                settings.RATE_LIMIT_STORAGE_URL, socket_connect_timeout=0.5, socket_timeout=0.5
            )
            assert isinstance(storage, Storage)  # a redis:// URL: the synchronous storage
            _limiter = SlidingWindowCounterRateLimiter(storage)
        return _limiter


class WriteRateLimit(BaseThrottle):
    """``API_WRITE_RATE_LIMIT`` commands a minute per API key (0: off), counted in Redis.

    A sliding window: no burst of twice the budget across a minute boundary. If Redis cannot be
    reached the command goes through (logged): an outage of the limiter must not stop the bank.
    """

    def __init__(self) -> None:
        self._wait = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        per_minute = settings.API_WRITE_RATE_LIMIT
        if per_minute <= 0:
            return True
        item = RateLimitItemPerMinute(per_minute)
        client = requesting_client(request)
        try:
            limiter = _write_limiter()
            if limiter.hit(item, "api-writes", client.budget_id):
                return True
            reset_at = limiter.get_window_stats(item, "api-writes", client.budget_id).reset_time
        except Exception as exc:  # the limiter's store is down: fail open, loudly
            logger.warning("write rate limit not applied (limiter store unavailable): %s", exc)
            return True
        self._wait.seconds = max(1.0, reset_at - time.time())
        logger.info("write rate limit reached by %s (%d a minute)", client.name, per_minute)
        return False

    def wait(self) -> float | None:
        seconds: Any = getattr(self._wait, "seconds", None)
        return math.ceil(seconds) if seconds is not None else None


READ = ApiKeyBearer("read")
WRITE = ApiKeyBearer("write")
WRITE_LIMIT = WriteRateLimit()
