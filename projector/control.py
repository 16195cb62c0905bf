"""Sync engine service: the operator's switches (a row in MySQL) and the cached gates that read them.

Pausing is a demonstration of lag (the demo page's fault buttons, ``DEMO_FAULTS``): a paused
projector keeps its leader lease and heartbeat, finishes the batch in hand and applies nothing
more until it is resumed; the events wait in the outbox and the change stream, nothing is lost.
The Celery retry sweep honours the same switch.

Poisoning an account is a demonstration of the dead-letter queue (ADR 0022): while an account is
poisoned, ``projector.delivery`` fails the account's next event as a permanent failure, so it
takes the real path — failed with backoff, dead after ``PROJECTOR_MAX_ATTEMPTS``, the later events
parked behind it. It is read only where ``DEMO_FAULTS`` is on.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from django.db import DatabaseError
from django.utils import timezone

from accounts_read.models import AccountView
from accounts_write.contract import AnyEvent, SkippedEvent
from projector.models import ProjectorControl

logger = logging.getLogger(__name__)

PROJECTOR_CONTROL = "projector"
# How often a running process looks at a switch: at most one query per this many seconds.
PAUSE_CHECK_SECONDS = 0.1
POISON_ERROR = "demo fault: the projector was told to fail on this account's events"

T = TypeVar("T")


@dataclass(frozen=True)
class PauseState:
    paused: bool
    changed_at: datetime | None
    poisoned_account: uuid.UUID | None = None


def pause_state() -> PauseState:
    row = ProjectorControl.objects.filter(name=PROJECTOR_CONTROL).first()
    if row is None:
        return PauseState(False, None)
    return PauseState(row.paused, row.changed_at, row.poisoned_account)


def is_paused() -> bool:
    return ProjectorControl.objects.filter(name=PROJECTOR_CONTROL, paused=True).exists()


def set_paused(paused: bool) -> PauseState:
    """Pause or resume the projector (and the retry sweep); returns the state now in force."""
    now = timezone.now()
    row, _ = ProjectorControl.objects.update_or_create(
        name=PROJECTOR_CONTROL, defaults={"paused": paused, "changed_at": now}
    )
    logger.warning("projector %s by an operator", "paused" if paused else "resumed")
    return PauseState(paused, now, row.poisoned_account)


class SwitchGate(Generic[T]):
    """A switch as a busy loop sees it: re-read from MySQL at most every ``interval`` seconds."""

    def __init__(
        self,
        read: Callable[[], T],
        initial: T,
        interval: float = PAUSE_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._read = read
        self._clock = clock
        self._value = initial
        self._next_check = 0.0

    def current(self) -> T:
        now = self._clock()
        if now >= self._next_check:
            self._next_check = now + self.interval
            try:
                self._value = self._read()
            except DatabaseError as exc:
                # The last known state holds. A switch must not change what a MySQL outage does:
                # the batch that follows meets the same outage, is marked failed and reports it.
                logger.debug("switch unreadable, keeping %r: %s", self._value, exc)
        return self._value

    def forget(self) -> None:
        """Read the switch afresh next time (this process has just changed it)."""
        self._next_check = 0.0


class PauseGate(SwitchGate[bool]):
    """The runner's view of the pause switch."""

    def __init__(
        self,
        interval: float = PAUSE_CHECK_SECONDS,
        read: Callable[[], bool] = is_paused,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(read, False, interval, clock)

    def paused(self) -> bool:
        return self.current()


# --- the demo's poison switch (read only where DEMO_FAULTS is on) ---------------------------------


def read_poisoned_account() -> uuid.UUID | None:
    return (
        ProjectorControl.objects.filter(name=PROJECTOR_CONTROL)
        .values_list("poisoned_account", flat=True)
        .first()
    )


# One per process: the projector, the retry sweep and the web process's dead-letter actions.
POISON_GATE: SwitchGate[uuid.UUID | None] = SwitchGate(read_poisoned_account, None)


def set_poisoned(account_id: uuid.UUID | None) -> uuid.UUID | None:
    """Poison one account (its events fail in the projector), or cure it (None); returns the previous."""
    previous = read_poisoned_account()
    ProjectorControl.objects.update_or_create(
        name=PROJECTOR_CONTROL, defaults={"poisoned_account": account_id}
    )
    POISON_GATE.forget()
    if account_id is not None:
        logger.warning("demo fault: the projector fails the events of account %s from now on", account_id)
    elif previous is not None:
        logger.warning("demo fault cured: the projector applies the events of account %s again", previous)
    return previous


def poisoned_events(events: Iterable[AnyEvent]) -> list[AnyEvent]:
    """The events to fail because their account is poisoned: the one its read row waits for.

    Events the read row already has are duplicates and pass; later ones pass too, so that the
    version gate holds them back and the delivery parks them behind the failing one, as it would
    behind any poison event. A skip is an operator's decision and is never failed.
    """
    account_id = POISON_GATE.current()
    if account_id is None:
        return []
    mine = [e for e in events if e.aggregate_id == account_id and not isinstance(e, SkippedEvent)]
    if not mine:
        return []
    read_version = (
        AccountView.objects.filter(account_id=account_id).values_list("version", flat=True).first() or 0
    )
    return [event for event in mine if event.version == read_version + 1]
