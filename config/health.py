"""Delivery: liveness and readiness probes for orchestrators."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from pymongo.errors import PyMongoError

from config.mongo import mongo_client

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers; dependencies are not consulted."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: the read database and the write database both answer."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["read_database"] = "ok"
    except Exception as exc:  # any driver error means "not ready"; it is reported, not hidden
        logger.warning("readiness: read database unavailable: %s", exc)
        checks["read_database"] = f"unavailable: {exc.__class__.__name__}"
    try:
        mongo_client().admin.command("ping")
        checks["write_database"] = "ok"
    except PyMongoError as exc:
        logger.warning("readiness: write database unavailable: %s", exc)
        checks["write_database"] = f"unavailable: {exc.__class__.__name__}"
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "not_ready", "checks": checks}
    return JsonResponse(body, status=200 if ready else 503)
