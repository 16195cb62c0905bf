"""Fault-test helper: a writer issuing real commands over many accounts through the write side."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from accounts_write import bootstrap
from accounts_write.application.errors import ConcurrencyConflictError
from accounts_write.domain.commands import (
    CloseAccount,
    Command,
    DepositFunds,
    OpenAccount,
    TransferFunds,
    WithdrawFunds,
)
from accounts_write.domain.errors import DomainError


@dataclass
class Workload:
    """Opens ``accounts`` accounts, then issues ``commands`` deposits, withdrawals and transfers."""

    accounts: int
    commands: int
    seed: int = 7
    account_ids: list[UUID] = field(default_factory=list)
    succeeded: int = 0
    refused: int = 0
    done: threading.Event = field(default_factory=threading.Event)

    def open_accounts(self) -> None:
        for n in range(self.accounts):
            result = bootstrap.handle(OpenAccount(owner=f"owner {n}", initial_deposit=Decimal("100.00")))
            self.account_ids.append(result.account_id)

    def run(self) -> None:
        rng = random.Random(self.seed)
        try:
            for _ in range(self.commands):
                self._issue(rng)
            self._close_one_empty_account()
        finally:
            self.done.set()

    def _issue(self, rng: random.Random) -> None:
        account = rng.choice(self.account_ids)
        amount = Decimal(rng.randint(100, 5000)) / 100
        kind = rng.random()
        if kind < 0.4:
            command: Command = DepositFunds(account_id=account, amount=amount)
        elif kind < 0.7:
            command = WithdrawFunds(account_id=account, amount=amount)
        else:
            other = rng.choice([a for a in self.account_ids if a != account])
            command = TransferFunds(from_account=account, to_account=other, amount=amount)
        self._handle(command)

    def _close_one_empty_account(self) -> None:
        result = bootstrap.handle(OpenAccount(owner="to be closed"))
        self._handle(CloseAccount(account_id=result.account_id))

    def _handle(self, command: Command) -> None:
        try:
            bootstrap.handle(command)
            self.succeeded += 1
        except (DomainError, ConcurrencyConflictError):
            self.refused += 1

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="writer", daemon=True)
        thread.start()
        return thread
