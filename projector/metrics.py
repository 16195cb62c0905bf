"""Sync engine observability: Prometheus metrics of the projector and the retry sweep."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from django.db import DatabaseError
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from projector.models import ReconcileReport

logger = logging.getLogger(__name__)

EVENTS = Counter(
    "projector_events_total",
    "Outbox events seen by the projector, by outcome (applied, duplicate, held, failed).",
    ["outcome"],
)
BATCH_SECONDS = Histogram(
    "projector_batch_seconds",
    "Time to apply one batch in MySQL, including its transaction commit.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
BATCH_SIZE = Histogram(
    "projector_batch_events", "Events per applied batch.", buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)
)
LAG_SECONDS = Histogram(
    "projector_lag_seconds",
    "From the event's occurred_at to the commit of its projection.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
IS_LEADER = Gauge("projector_is_leader", "1 while this process holds the leader lease.")
PAUSED = Gauge("projector_paused", "1 while the leader is paused by an operator (applies nothing).")
RECONNECTS = Counter(
    "projector_reconnects_total", "Times the projector backed off after losing a database.", ["database"]
)
HISTORY_LOST = Counter("projector_history_lost_total", "Change-stream resume tokens found expired.")
SWEPT = Counter("projector_swept_events_total", "Events re-applied by a sweep, by kind.", ["kind"])


class ReconcileCollector(Collector):
    """``reconcile_drifted_accounts``: from the latest stored report, read at scrape time.

    Reconciles run in Celery workers and commands, whose metrics nobody scrapes; the stored report
    is the one truth every process (web, projector) can export.
    """

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield self._gauge()  # registration reads this, not collect(): no query at start-up

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = self._gauge()
        try:
            report = ReconcileReport.objects.order_by("-started_at").first()
        except DatabaseError as exc:
            logger.warning("reconcile_drifted_accounts not exported: %s", exc)
            return
        if report is not None:
            gauge.add_metric([], report.drifted)
            yield gauge

    @staticmethod
    def _gauge() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "reconcile_drifted_accounts",
            "Accounts whose read state differed from the write state in the latest reconcile.",
        )


_COLLECTOR = ReconcileCollector()


def scrape_time_collectors() -> list[Collector]:
    """Collectors that read state at scrape time (for a registry of one's own: multiprocess mode)."""
    return [_COLLECTOR]


def register_collectors() -> None:
    """Idempotent: AppConfig.ready() may run more than once in tests."""
    with contextlib.suppress(ValueError):  # already registered
        REGISTRY.register(_COLLECTOR)
