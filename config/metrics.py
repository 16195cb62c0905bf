"""Delivery: ``/metrics`` for Prometheus — all gunicorn workers summed, behind METRICS_TOKEN if set.

Under gunicorn each worker is a process of its own; with ``PROMETHEUS_MULTIPROC_DIR`` set (the
gunicorn configuration does it) every worker writes its samples there and a scrape sums them all,
whichever worker answers. The sync engine's collectors that read MySQL at scrape time are added.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from projector.metrics import scrape_time_collectors


def token_allows(authorization: str | None) -> bool:
    """Whether an ``Authorization`` header carries METRICS_TOKEN (always, when no token is set)."""
    token = settings.METRICS_TOKEN
    return not token or constant_time_compare(authorization or "", f"Bearer {token}")


def metrics_registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    for collector in scrape_time_collectors():
        registry.register(collector)
    return registry


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not token_allows(request.headers.get("Authorization")):
        answer = HttpResponse(
            "Send METRICS_TOKEN as 'Authorization: Bearer TOKEN'.\n", status=401, content_type="text/plain"
        )
        answer["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return answer
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
