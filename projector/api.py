"""Delivery: ``GET /api/sync/status`` — is the read side keeping up with the write side?"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.db import DatabaseError
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from config.api_auth import READ
from config.api_errors import GUARDED, ApiError, ErrorOut, refuse_unknown_query
from projector.bootstrap import outbox_store
from projector.status import sync_status

router = Router()


class ProjectorOut(Schema):
    alive: bool = Field(description="A projector holds an unexpired leader lease.")
    leader: str | None
    heartbeat_at: datetime | None
    heartbeat_age_seconds: float | None
    lease_expires_at: datetime | None
    paused: bool = Field(description="Paused by an operator: it holds its lease and applies nothing.")


class CheckpointOut(Schema):
    updated_at: datetime | None
    age_seconds: float | None
    has_resume_token: bool
    last_applied_at: datetime | None
    last_batch_lag_ms: float | None = Field(description="Event occurred_at to projection commit, last batch.")
    events_applied: int


class OutboxOut(Schema):
    available: bool = Field(description="False when MongoDB could not be reached; counts are then null.")
    backlog: dict[str, int] = Field(description="Outbox entries not done, per status.")
    dead_letters: int | None = Field(
        description="Entries that failed permanently PROJECTOR_MAX_ATTEMPTS times."
    )
    parked: int | None = Field(description="Entries waiting behind a failing or dead entry of their account.")
    oldest_unprojected_at: datetime | None
    lag_seconds: float | None = Field(description="Age of the oldest entry not yet projected (0: none).")
    error: str | None


class ReadModelsOut(Schema):
    accounts: int
    accounts_needing_attention: int = Field(description="Accounts with a dead or skipped event.")


class ReconcileOut(Schema):
    finished_at: datetime
    age_seconds: float
    scope: str
    checked: int
    drifted: int = Field(description="Accounts whose read state differed from the write state.")
    lagging: int = Field(description="Accounts with events still in flight (not drift).")
    fixed: int


class ReplayOut(Schema):
    state: str = Field(description="building, catching_up, done or failed.")
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    events_applied: int
    error: str


class SyncStatusOut(Schema):
    projector: ProjectorOut
    checkpoint: CheckpointOut
    outbox: OutboxOut
    read_models: ReadModelsOut
    last_reconcile: ReconcileOut | None = Field(description="The latest reconcile report (null: none yet).")
    last_replay: ReplayOut | None = Field(description="The latest full replay (null: none yet).")
    checked_at: datetime


@router.get(
    "/status",
    response={200: SyncStatusOut, **GUARDED, 422: ErrorOut, 503: ErrorOut},
    summary="Lag, backlog, checkpoint age, projector alive",
    auth=READ,
)
def get_sync_status(request: HttpRequest) -> SyncStatusOut:
    refuse_unknown_query(request)
    try:
        status = sync_status(outbox_store())
    except DatabaseError as exc:
        raise ApiError(503, "read_database_unavailable", "The read database cannot be reached.") from exc
    return SyncStatusOut.model_validate(asdict(status))
