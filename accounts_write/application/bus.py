"""Application: the command bus — idempotency, one transaction per attempt, bounded retries."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import overload

from accounts_write.application.errors import ConcurrencyConflictError, TransactionConflictError
from accounts_write.application.handlers import HANDLERS, Context, Handler, accounts_touched
from accounts_write.application.idempotency import CommandRecord, payload_hash, replay
from accounts_write.application.ports import UnitOfWork
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

BACKOFF_BASE_SECONDS = 0.01
BACKOFF_CAP_SECONDS = 0.2


def jittered_backoff(attempt: int) -> float:
    """'Full jitter' exponential backoff, so that clashing writers spread out."""
    return random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt))


class CommandBus:
    """Runs each command once per command id; retries transient conflicts a bounded number of times."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        clock: Callable[[], datetime],
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.uow_factory = uow_factory
        self.clock = clock
        self.max_attempts = max_attempts
        self.sleep = sleep

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
        last_conflict: TransactionConflictError | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._attempt(handler, command, command_id, fingerprint)
            except TransactionConflictError as exc:
                logger.info(
                    "command %s (%s, accounts %s) conflicted on attempt %d/%d: %s",
                    command_id,
                    type(command).__name__,
                    accounts_touched(command),
                    attempt,
                    self.max_attempts,
                    exc,
                )
                last_conflict = exc
                if attempt < self.max_attempts:
                    self.sleep(jittered_backoff(attempt))
        logger.warning("command %s gave up after %d conflicting attempts", command_id, self.max_attempts)
        raise ConcurrencyConflictError(
            f"the command kept conflicting with concurrent changes ({self.max_attempts} attempts); "
            "retry it with the same Idempotency-Key"
        ) from last_conflict

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
