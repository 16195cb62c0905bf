"""Unit: the command bus retries conflicts within a time budget, with jittered backoff (ADR 0018)."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from accounts_write import bootstrap
from accounts_write.application.bus import CommandBus, RetryPolicy
from accounts_write.application.errors import ConcurrencyConflictError, TransactionConflictError
from accounts_write.application.results import AccountCommandResult
from accounts_write.domain.commands import DepositFunds, OpenAccount
from tests.unit.write.fakes import FakeStore, FakeUnitOfWork, StepClock, fake_bus

ATTEMPT_SECONDS = 0.01


class FakeTime:
    """A monotonic clock that moves only when the bus sleeps or an attempt runs."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Conflicts:
    """A commit hook: clashes ``times`` times (each attempt costs ATTEMPT_SECONDS), then lets through."""

    def __init__(self, clock: FakeTime, times: int) -> None:
        self.clock = clock
        self.left = times
        self.attempts = 0

    def __call__(self) -> None:
        self.attempts += 1
        self.clock.now += ATTEMPT_SECONDS
        if self.left:
            self.left -= 1
            raise TransactionConflictError("account changed after it was read")


def opened(store: FakeStore) -> UUID:
    bus, _ = fake_bus(store)
    result = bus.handle(OpenAccount(owner="Ada"), f"open-{uuid4()}")
    assert isinstance(result, AccountCommandResult)
    return result.account_id


def contended_bus(
    store: FakeStore, clock: FakeTime, conflicts: Conflicts, retry: RetryPolicy, draw: float = 0.5
) -> CommandBus:
    return CommandBus(
        lambda: FakeUnitOfWork(store, before_commit=conflicts),
        clock=StepClock(),
        retry=retry,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        draw=lambda: draw,
    )


def test_a_command_that_conflicts_thirty_times_within_the_budget_succeeds() -> None:
    store, clock = FakeStore(), FakeTime()
    account_id = opened(store)
    conflicts = Conflicts(clock, times=30)
    bus = contended_bus(store, clock, conflicts, RetryPolicy(budget_seconds=5.0))

    result = bus.handle(DepositFunds(account_id, Decimal("1.00")), "deposit")

    assert (conflicts.attempts, result.version) == (31, 2)
    assert store.accounts[account_id].balance == Decimal("1.00")


def test_conflicts_beyond_the_budget_end_in_a_concurrency_conflict_and_change_nothing() -> None:
    store, clock = FakeStore(), FakeTime()
    account_id = opened(store)
    conflicts = Conflicts(clock, times=10_000)
    bus = contended_bus(store, clock, conflicts, RetryPolicy(budget_seconds=1.0))
    started = clock.now

    with pytest.raises(ConcurrencyConflictError, match="attempts in"):
        bus.handle(DepositFunds(account_id, Decimal("1.00")), "deposit")

    assert conflicts.attempts > 5
    # No pause runs past the budget: at most one attempt's time beyond it.
    assert clock.now - started <= 1.0 + ATTEMPT_SECONDS
    assert store.accounts[account_id].version == 1
    assert len(store.events_of(account_id)) == 1


def test_the_pause_grows_with_each_attempt_up_to_the_cap() -> None:
    store, clock = FakeStore(), FakeTime()
    account_id = opened(store)
    conflicts = Conflicts(clock, times=8)
    policy = RetryPolicy(budget_seconds=5.0, base_seconds=0.002, cap_seconds=0.05)
    bus = contended_bus(store, clock, conflicts, policy, draw=1.0)

    bus.handle(DepositFunds(account_id, Decimal("1.00")), "deposit")

    assert clock.sleeps == pytest.approx([0.004, 0.008, 0.016, 0.032, 0.05, 0.05, 0.05, 0.05])


def test_the_pause_is_a_random_share_of_the_backoff() -> None:
    policy = RetryPolicy(base_seconds=0.002, cap_seconds=0.05)
    draws = iter([0.0, 0.25, 0.999])

    pauses = [policy.delay(3, lambda: next(draws)) for _ in range(3)]

    assert pauses == pytest.approx([0.0, 0.004, 0.015984])


def test_max_attempts_bounds_the_count_even_within_the_budget() -> None:
    store, clock = FakeStore(), FakeTime()
    account_id = opened(store)
    conflicts = Conflicts(clock, times=10)
    bus = contended_bus(store, clock, conflicts, RetryPolicy(budget_seconds=60.0, max_attempts=3))

    with pytest.raises(ConcurrencyConflictError, match="3 attempts"):
        bus.handle(DepositFunds(account_id, Decimal("1.00")), "deposit")

    assert (conflicts.attempts, len(clock.sleeps)) == (3, 2)


def test_a_zero_budget_tries_once() -> None:
    store, clock = FakeStore(), FakeTime()
    account_id = opened(store)
    conflicts = Conflicts(clock, times=1)
    bus = contended_bus(store, clock, conflicts, RetryPolicy(budget_seconds=0.0))

    with pytest.raises(ConcurrencyConflictError):
        bus.handle(DepositFunds(account_id, Decimal("1.00")), "deposit")

    assert (conflicts.attempts, clock.sleeps) == (1, [])


@pytest.mark.parametrize(
    "options",
    [{"budget_seconds": -1.0}, {"base_seconds": -0.1}, {"cap_seconds": -1.0}, {"max_attempts": 0}],
)
def test_a_nonsensical_policy_is_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        RetryPolicy(**options)  # type: ignore[arg-type]


def test_the_configured_bus_takes_its_budget_from_the_settings(settings) -> None:
    settings.WRITE_RETRY_BUDGET_SECONDS = 2.5

    assert bootstrap.build_bus().retry.budget_seconds == 2.5
