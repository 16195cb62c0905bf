"""Delivery: Celery tasks of the sync engine (thin: build, call one service, report)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import TypeVar

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from pymongo.errors import PyMongoError

from projector.apply import Outcome
from projector.bootstrap import accounts_collection, default_owner, outbox_store
from projector.control import is_paused
from projector.reconcile import reconcile, store_report
from projector.retry import retry_due

logger = logging.getLogger(__name__)
Result = TypeVar("Result")


def skipped_while_unavailable(
    empty: Callable[[], Result],
) -> Callable[[Callable[[], Result]], Callable[[], Result]]:
    """A periodic task that finds a database away logs one warning and returns ``empty()``.

    Beat runs it again in a few seconds; an ERROR with a traceback every run of an outage would
    bury the one line that matters (the projector's own reconnect warnings say the same thing).
    """

    def decorate(task: Callable[[], Result]) -> Callable[[], Result]:
        @wraps(task)
        def run() -> Result:
            try:
                return task()
            except (DatabaseError, PyMongoError) as exc:
                database = "MySQL" if isinstance(exc, DatabaseError) else "MongoDB"
                logger.warning(
                    "%s not run: %s unavailable (%s: %s); the next beat tries again",
                    task.__name__,
                    database,
                    exc.__class__.__name__,
                    exc,
                )
                return empty()

        return run

    return decorate


@shared_task(name="projector.retry_due_entries")
@skipped_while_unavailable(lambda: Outcome().counts())
def retry_due_entries() -> dict[str, int]:
    """Re-apply failed entries whose backoff is due, expired leases and entries the stream missed."""
    if is_paused():
        # A paused sync applies nothing, or the pause would end by itself after the pending grace.
        logger.info("retry sweep skipped: the projector is paused")
        return Outcome().counts()
    report = retry_due(
        outbox_store(),
        owner=f"retry:{default_owner()}",
        pending_grace=timedelta(seconds=settings.PROJECTOR_PENDING_GRACE_SECONDS),
        limit=settings.PROJECTOR_RETRY_SWEEP_LIMIT,
        batch_size=settings.PROJECTOR_BATCH_SIZE,
    )
    return report.counts()


@shared_task(name="projector.reconcile_read_models")
@skipped_while_unavailable(lambda: {"checked": 0, "drifted": 0, "lagging": 0})
def reconcile_read_models() -> dict[str, int]:
    """Compare write and read state for every account; store the report (RECONCILE_INTERVAL_SECONDS)."""
    result = reconcile(accounts_collection(), outbox_store())
    report = store_report(result, scope="all", trigger="beat")
    if report.drifted:
        logger.error("reconcile: %d account(s) drifted; run `manage.py reconcile --fix`", report.drifted)
    else:
        logger.info("reconcile: %d accounts checked, no drift (%d lagging)", report.checked, report.lagging)
    return {"checked": report.checked, "drifted": report.drifted, "lagging": report.lagging}
