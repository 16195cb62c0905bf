"""Unit (property-based): random command sequences keep the aggregate's invariants."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from accounts_write.domain.errors import DomainError
from accounts_write.domain.events import DomainEvent
from accounts_write.domain.model import BankAccount, transfer

NOW = datetime(2026, 3, 1, tzinfo=UTC)

amounts = st.one_of(
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500.00"), places=2),
    st.decimals(min_value=Decimal("-5"), max_value=Decimal("5"), places=3),  # often invalid
)
operations = st.tuples(
    st.sampled_from(["deposit", "withdraw", "transfer", "close"]),
    st.integers(min_value=0, max_value=2),
    st.integers(min_value=0, max_value=2),
    amounts,
)


def run(initial: list[Decimal | None], ops: list[tuple[str, int, int, Decimal]]) -> list[BankAccount]:
    """Open the accounts, apply every operation (refusals are fine); return the accounts."""
    accounts = [
        BankAccount.open(account_id=uuid4(), owner="P", currency="EUR", initial_deposit=deposit, now=NOW)
        for deposit in initial
    ]
    for name, first, second, amount in ops:
        source, target = accounts[first], accounts[second]
        try:
            if name == "transfer":
                transfer(source, target, amount, transfer_id=uuid4(), now=NOW)
            elif name == "close":
                source.close(NOW)
            else:
                getattr(source, name)(amount, NOW)
        except DomainError:
            pass
        assert all(account.balance >= 0 for account in accounts)
    return accounts


initial_deposits = st.lists(
    st.one_of(st.none(), st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2)),
    min_size=3,
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(initial=initial_deposits, ops=st.lists(operations, max_size=40))
def test_random_sequences_never_overdraw(initial: list[Decimal | None], ops: list) -> None:
    for account in run(initial, ops):
        assert account.balance >= 0


@settings(max_examples=300, deadline=None)
@given(initial=initial_deposits, ops=st.lists(operations, max_size=40))
def test_versions_rise_by_one_per_event(initial: list[Decimal | None], ops: list) -> None:
    for account in run(initial, ops):
        events: list[DomainEvent] = account.pending_events
        assert [event.aggregate_version for event in events] == list(range(1, len(events) + 1))
        assert account.version == len(events)
        assert all(event.aggregate_id == account.id for event in events)


@settings(max_examples=300, deadline=None)
@given(initial=initial_deposits, ops=st.lists(operations, max_size=40))
def test_replaying_events_reproduces_state(initial: list[Decimal | None], ops: list) -> None:
    for account in run(initial, ops):
        assert BankAccount.from_events(account.pending_events).state() == account.state()


@settings(max_examples=200, deadline=None)
@given(initial=initial_deposits, ops=st.lists(operations, max_size=40))
def test_transfers_conserve_money(initial: list[Decimal | None], ops: list) -> None:
    accounts = run(initial, [op for op in ops if op[0] == "transfer"])
    assert sum(account.balance for account in accounts) == sum(d or 0 for d in initial)
