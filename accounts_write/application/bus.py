"""Application: the command bus — idempotency, one transaction per attempt, a retry budget in time."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import overload

from accounts_write.application.errors import ConcurrencyConflictError, TransactionConflictError
from accounts_write.application.handlers import HANDLERS, Context, Handler, accounts_touched
from accounts_write.application.ports import CommandRecord, UnitOfWork, payload_hash, replay
from accounts_write.application.results import AccountCommandResult, CommandResult, TransferResult
from accounts_write.domain.commands import (
    CloseAccount,
    Command,
    DepositFunds,
    OpenAccount,
    TransferFunds,
    WithdrawFunds,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How long a conflicting command keeps trying, and how it spaces its attempts (ADR 0018).

    The budget is time, not a count: a hot account with many concurrent writers needs more
    attempts, each of them short; a count that suits two writers gives 409s to sixteen. The
    delay before retry ``n`` is drawn uniformly from [0, min(cap, base·2^n)] ("full jitter"), so
    clashing writers spread out instead of clashing again in step. ``max_attempts`` (optional)
    bounds the count as well.
    """

    budget_seconds: float = 5.0
    base_seconds: float = 0.002
    cap_seconds: float = 0.05
    max_attempts: int | None = None

    def __post_init__(self) -> None:
        if self.budget_seconds < 0 or self.base_seconds < 0 or self.cap_seconds < 0:
            raise ValueError("retry budget and backoff must not be negative")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay(self, attempt: int, draw: Callable[[], float]) -> float:
        """The pause after failed attempt number ``attempt`` (1-based); ``draw`` gives [0, 1)."""
        return draw() * min(self.cap_seconds, self.base_seconds * 2 ** min(attempt, 30))

    def allows(self, attempt: int, elapsed: float, delay: float) -> bool:
        """Whether another attempt may follow failed attempt ``attempt`` after ``delay``."""
        if self.max_attempts is not None and attempt >= self.max_attempts:
            return False
        return elapsed + delay < self.budget_seconds


class CommandBus:
    """Runs each command once per command id; retries transient conflicts within a time budget."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Callable[[], datetime],
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.retry = retry if retry is not None else RetryPolicy()
        self.sleep = sleep
        self.monotonic = monotonic
        self.draw = draw

    @overload
    def handle(self, command: TransferFunds, command_id: str) -> TransferResult: ...
    @overload
    def handle(
        self, command: OpenAccount | DepositFunds | WithdrawFunds | CloseAccount, command_id: str
    ) -> AccountCommandResult: ...
    @overload
    def handle(self, command: Command, command_id: str) -> CommandResult: ...
    def handle(self, command: Command, command_id: str) -> CommandResult:
        handler = HANDLERS[type(command)]
        fingerprint = payload_hash(command)
        started = self.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(handler, command, command_id, fingerprint)
            except TransactionConflictError as exc:
                elapsed = self.monotonic() - started
                delay = self.retry.delay(attempt, self.draw)
                if not self.retry.allows(attempt, elapsed, delay):
                    logger.warning(
                        "command %s (%s, accounts %s) gave up after %d conflicting attempts in %.3f s: %s",
                        command_id,
                        type(command).__name__,
                        accounts_touched(command),
                        attempt,
                        elapsed,
                        exc,
                    )
                    raise ConcurrencyConflictError(
                        f"the command kept conflicting with concurrent changes ({attempt} attempts in "
                        f"{elapsed:.1f} s); retry it with the same Idempotency-Key"
                    ) from exc
                logger.debug("command %s conflicted on attempt %d, retrying: %s", command_id, attempt, exc)
                self.sleep(delay)

    def _attempt(
        self, handler: Handler, command: Command, command_id: str, fingerprint: str
    ) -> CommandResult:
        with self.uow_factory() as uow:
            earlier = uow.commands.get(command_id)
            if earlier is not None:
                return replay(earlier, command)
            now = self.clock()
            result = handler(command, uow, Context(command_id=command_id, now=now))
            uow.commands.add(CommandRecord(command_id, type(command).__name__, fingerprint, result, now))
            uow.commit()
            return result
