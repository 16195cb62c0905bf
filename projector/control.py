"""Sync engine service: the operator's pause switch (a row in MySQL) and the gate the runner checks.

Pausing is a demonstration of lag (the demo page's fault buttons, ``DEMO_FAULTS``): a paused
projector keeps its leader lease and heartbeat, finishes the batch in hand and applies nothing
more until it is resumed; the events wait in the outbox and the change stream, nothing is lost.
The Celery retry sweep honours the same switch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import DatabaseError
from django.utils import timezone

from projector.models import ProjectorControl

logger = logging.getLogger(__name__)

PROJECTOR_CONTROL = "projector"
# How often a running projector looks at the switch: at most one query per this many seconds.
PAUSE_CHECK_SECONDS = 0.1


@dataclass(frozen=True)
class PauseState:
    paused: bool
    changed_at: datetime | None


def pause_state() -> PauseState:
    row = ProjectorControl.objects.filter(name=PROJECTOR_CONTROL).first()
    if row is None:
        return PauseState(False, None)
    return PauseState(row.paused, row.changed_at)


def is_paused() -> bool:
    return ProjectorControl.objects.filter(name=PROJECTOR_CONTROL, paused=True).exists()


def set_paused(paused: bool) -> PauseState:
    """Pause or resume the projector (and the retry sweep); returns the state now in force."""
    now = timezone.now()
    ProjectorControl.objects.update_or_create(
        name=PROJECTOR_CONTROL, defaults={"paused": paused, "changed_at": now}
    )
    logger.warning("projector %s by an operator", "paused" if paused else "resumed")
    return PauseState(paused, now)


class PauseGate:
    """The runner's view of the switch: re-read from MySQL at most every ``interval`` seconds."""

    def __init__(
        self,
        interval: float = PAUSE_CHECK_SECONDS,
        read: Callable[[], bool] = is_paused,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._read = read
        self._clock = clock
        self._paused = False
        self._next_check = 0.0

    def paused(self) -> bool:
        now = self._clock()
        if now >= self._next_check:
            self._next_check = now + self.interval
            try:
                self._paused = self._read()
            except DatabaseError as exc:
                # The last known state holds. The switch must not change what a MySQL outage does:
                # the batch that follows meets the same outage, is marked failed and reports it.
                logger.debug("pause switch unreadable, staying %s: %s", self._state(), exc)
        return self._paused

    def _state(self) -> str:
        return "paused" if self._paused else "running"
