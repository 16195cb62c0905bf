"""Sync engine: the health of the sync — lag, backlog per status, checkpoint age, leader heartbeat.

What MySQL knows (checkpoint, leader lease) is always reported; the outbox counts come from
MongoDB and are marked unavailable, not fatal, when it cannot be reached.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from pymongo.errors import PyMongoError

from accounts_read.models import AccountView
from accounts_write.contract import OutboxField, OutboxStatus
from projector.control import is_paused
from projector.leader import PROJECTOR_LEASE, STREAM_CHECKPOINT
from projector.models import Checkpoint, ProjectorLease, ReconcileReport, ReplayRun
from projector.outbox import FINISHED, OutboxStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProjectorState:
    alive: bool
    leader: str | None
    heartbeat_at: datetime | None
    heartbeat_age_seconds: float | None
    lease_expires_at: datetime | None
    paused: bool = False


@dataclass(frozen=True)
class CheckpointState:
    updated_at: datetime | None
    age_seconds: float | None
    has_resume_token: bool
    last_applied_at: datetime | None
    last_batch_lag_ms: float | None
    events_applied: int


@dataclass(frozen=True)
class OutboxState:
    available: bool
    backlog: dict[str, int] = field(default_factory=dict)
    dead_letters: int | None = None
    parked: int | None = None
    oldest_unprojected_at: datetime | None = None
    lag_seconds: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class ReadModelsState:
    accounts: int
    accounts_needing_attention: int


@dataclass(frozen=True)
class ReconcileState:
    finished_at: datetime
    age_seconds: float
    scope: str
    checked: int
    drifted: int
    lagging: int
    fixed: int


@dataclass(frozen=True)
class ReplayRunState:
    state: str
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    events_applied: int
    error: str


@dataclass(frozen=True)
class SyncStatus:
    projector: ProjectorState
    checkpoint: CheckpointState
    outbox: OutboxState
    read_models: ReadModelsState
    last_reconcile: ReconcileState | None
    last_replay: ReplayRunState | None
    checked_at: datetime


def sync_status(outbox: OutboxStore | None) -> SyncStatus:
    now = timezone.now()
    return SyncStatus(
        _projector(now),
        _checkpoint(now),
        _outbox(outbox, now),
        _read_models(),
        _last_reconcile(now),
        _last_replay(),
        now,
    )


def _read_models() -> ReadModelsState:
    return ReadModelsState(
        accounts=AccountView.objects.count(),
        accounts_needing_attention=AccountView.objects.exclude(attention="").count(),
    )


def _last_reconcile(now: datetime) -> ReconcileState | None:
    report = ReconcileReport.objects.order_by("-started_at").first()
    if report is None:
        return None
    return ReconcileState(
        finished_at=report.finished_at,
        age_seconds=_age(report.finished_at, now) or 0.0,
        scope=report.scope,
        checked=report.checked,
        drifted=report.drifted,
        lagging=report.lagging,
        fixed=report.fixed,
    )


def _last_replay() -> ReplayRunState | None:
    run = ReplayRun.objects.order_by("-started_at").first()
    if run is None:
        return None
    return ReplayRunState(
        run.state, run.started_at, run.updated_at, run.finished_at, run.events_applied, run.error
    )


def _projector(now: datetime) -> ProjectorState:
    lease = ProjectorLease.objects.filter(name=PROJECTOR_LEASE).first()
    heartbeat = lease.heartbeat_at if lease is not None else None
    paused = is_paused()
    if lease is None or not lease.owner:
        return ProjectorState(False, None, heartbeat, _age(heartbeat, now), None, paused)
    alive = lease.expires_at is not None and lease.expires_at >= now
    return ProjectorState(alive, lease.owner, heartbeat, _age(heartbeat, now), lease.expires_at, paused)


def _checkpoint(now: datetime) -> CheckpointState:
    row = Checkpoint.objects.filter(name=STREAM_CHECKPOINT).first()
    if row is None:
        return CheckpointState(None, None, False, None, None, 0)
    return CheckpointState(
        updated_at=row.updated_at,
        age_seconds=_age(row.updated_at, now),
        has_resume_token=row.resume_token is not None,
        last_applied_at=row.last_applied_at,
        last_batch_lag_ms=row.last_batch_lag_ms,
        events_applied=row.events_applied,
    )


def _outbox(outbox: OutboxStore | None, now: datetime) -> OutboxState:
    if outbox is None:
        return OutboxState(available=False, error="no outbox configured")
    try:
        counts = outbox.count_by_status()
        oldest: dict[str, Any] | None = dict(outbox.oldest_unfinished() or {}) or None
    except PyMongoError as exc:
        logger.warning("sync status: outbox unavailable: %s", exc)
        return OutboxState(available=False, error=f"{exc.__class__.__name__}: MongoDB unavailable")
    oldest_at = oldest.get(OutboxField.OCCURRED_AT) if oldest else None
    return OutboxState(
        available=True,
        backlog={status: count for status, count in counts.items() if status not in FINISHED},
        dead_letters=counts.get(OutboxStatus.DEAD.value, 0),
        parked=counts.get(OutboxStatus.PARKED.value, 0),
        oldest_unprojected_at=oldest_at,
        lag_seconds=_age(oldest_at, now) or 0.0,
    )


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else max(0.0, (now - moment).total_seconds())
