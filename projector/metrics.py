"""Sync engine observability: Prometheus metrics of the projector and the retry sweep."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
