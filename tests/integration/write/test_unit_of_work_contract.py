"""Integration: one contract for every unit of work — the in-memory fake and MongoDB pass the same tests.

The handler tests trust the fake; this suite is what earns that trust (as eventsourcing runs one
recorder suite over every store). A store joins by giving a fresh unit of work and its outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from accounts_write import contract
from accounts_write.adapters.mongo_uow import MongoUnitOfWork
from accounts_write.application.errors import AccountNotFoundError, TransactionConflictError
from accounts_write.application.ports import CommandRecord, UnitOfWork
from accounts_write.application.results import AccountCommandResult
from accounts_write.domain.model import BankAccount, transfer
from tests.integration.write.helpers import MongoDatabase, outbox_of
from tests.unit.write.fakes import FakeStore, FakeUnitOfWork, StepClock

F = contract.OutboxField
Outbox = list[tuple[UUID, int, str | None]]  # event id, aggregate version, command id


@dataclass
class Store:
    """A write store under test: how to start a unit of work on it, and its outbox for one account."""

    unit_of_work: Callable[[], UnitOfWork]
    outbox: Callable[[UUID], Outbox]


def fake_store() -> Store:
    store = FakeStore()

    def outbox(account_id: UUID) -> Outbox:
        return [
            (event.event_id, event.aggregate_version, command_id)
            for event, command_id in store.outbox
            if event.aggregate_id == account_id
        ]

    return Store(lambda: FakeUnitOfWork(store), outbox)


def mongo_store(db: MongoDatabase) -> Store:
    def outbox(account_id: UUID) -> Outbox:
        documents = outbox_of(db, account_id)
        return [(doc[F.EVENT_ID], doc[F.AGGREGATE_VERSION], doc[F.COMMAND_ID]) for doc in documents]

    return Store(lambda: MongoUnitOfWork(db), outbox)


@pytest.fixture(params=["fake", "mongo"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "fake":
        return fake_store()
    return mongo_store(request.getfixturevalue("write_db"))


clock = StepClock()


def new_account(
    account_id: UUID | None = None, owner: str = "Ada", initial: str | None = "10.00"
) -> BankAccount:
    deposit = Decimal(initial) if initial is not None else None
    return BankAccount.open(
        account_id=account_id or uuid4(), owner=owner, currency="EUR", initial_deposit=deposit, now=clock()
    )


def record_of(command_id: str, account: BankAccount) -> CommandRecord:
    """A command record for a change of ``account`` still pending in a unit of work."""
    event_ids = tuple(event.event_id for event in account.pending_events)
    result = AccountCommandResult(account.id, account.version, account.balance, event_ids, command_id)
    return CommandRecord(command_id, "DepositFunds", "0" * 64, result, clock())


def opened(store: Store) -> UUID:
    """An account committed to ``store``, opened with 10.00 (versions 1 and 2)."""
    account = new_account()
    with store.unit_of_work() as uow:
        uow.accounts.add(account)
        uow.commands.add(record_of(f"open-{account.id}", account))
        uow.commit()
    return account.id


def stored(store: Store, account_id: UUID) -> BankAccount:
    with store.unit_of_work() as uow:
        return uow.accounts.get(account_id)


def recorded(store: Store, command_id: str) -> CommandRecord | None:
    with store.unit_of_work() as uow:
        return uow.commands.get(command_id)


def deposit(store: Store, account_id: UUID, amount: str, command_id: str) -> None:
    with store.unit_of_work() as uow:
        uow.accounts.get(account_id).deposit(Decimal(amount), clock())
        uow.commands.add(record_of(command_id, uow.accounts.get(account_id)))
        uow.commit()


def test_a_new_account_is_inserted_with_its_events(store: Store) -> None:
    account = new_account(initial="12.50")
    event_ids = [event.event_id for event in account.pending_events]
    with store.unit_of_work() as uow:
        uow.accounts.add(account)
        uow.commit()
    assert stored(store, account.id).state() == account.state()
    assert [(event_id, version) for event_id, version, _ in store.outbox(account.id)] == [
        (event_ids[0], 1),
        (event_ids[1], 2),
    ]


def test_commit_persists_the_changed_account_its_events_and_the_command_record(store: Store) -> None:
    account_id = opened(store)
    with store.unit_of_work() as uow:
        account = uow.accounts.get(account_id)
        account.deposit(Decimal("2.50"), clock())
        (event,) = account.pending_events
        record = record_of("deposit-1", account)
        uow.commands.add(record)
        uow.commit()
    assert stored(store, account_id).state() == account.state()
    assert (stored(store, account_id).balance, stored(store, account_id).version) == (Decimal("12.50"), 3)
    assert store.outbox(account_id)[-1] == (event.event_id, 3, "deposit-1")
    assert recorded(store, "deposit-1") == record


def test_events_carry_the_id_of_the_command_recorded_with_them(store: Store) -> None:
    account_id = opened(store)
    deposit(store, account_id, "1.00", "deposit-2")
    assert [command_id for _, _, command_id in store.outbox(account_id)] == [
        f"open-{account_id}",
        f"open-{account_id}",
        "deposit-2",
    ]


def test_events_committed_without_a_command_record_carry_no_command_id(store: Store) -> None:
    account_id = opened(store)
    with store.unit_of_work() as uow:
        uow.accounts.get(account_id).deposit(Decimal("1.00"), clock())
        uow.commit()
    assert store.outbox(account_id)[-1][1:] == (3, None)


def test_commands_get_sees_committed_records_only(store: Store) -> None:
    account_id = opened(store)
    with store.unit_of_work() as pending:
        pending.accounts.get(account_id).deposit(Decimal("1.00"), clock())
        pending.commands.add(record_of("deposit-pending", pending.accounts.get(account_id)))
        assert recorded(store, "deposit-pending") is None
        pending.commit()
    assert recorded(store, "deposit-pending") is not None
    assert recorded(store, "never-sent") is None


def test_leaving_without_commit_writes_nothing(store: Store) -> None:
    account_id = opened(store)
    with store.unit_of_work() as uow:
        uow.accounts.get(account_id).deposit(Decimal("1.00"), clock())
        uow.accounts.add(new := new_account(owner="Bob", initial=None))
        uow.commands.add(record_of("deposit-abandoned", uow.accounts.get(account_id)))
    assert stored(store, account_id).version == 2
    assert len(store.outbox(account_id)) == 2
    assert store.outbox(new.id) == []
    assert recorded(store, "deposit-abandoned") is None
    with pytest.raises(AccountNotFoundError):
        stored(store, new.id)


def test_an_error_inside_the_block_writes_nothing(store: Store) -> None:
    account_id = opened(store)

    def failing_handler() -> None:
        with store.unit_of_work() as uow:
            uow.accounts.get(account_id).deposit(Decimal("1.00"), clock())
            raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError):
        failing_handler()
    assert stored(store, account_id).version == 2


def test_a_stale_version_conflicts_at_commit_and_writes_nothing(store: Store) -> None:
    account_id = opened(store)
    with store.unit_of_work() as stale:
        stale.accounts.get(account_id).deposit(Decimal("1.00"), clock())
        stale.commands.add(record_of("deposit-stale", stale.accounts.get(account_id)))
        deposit(store, account_id, "2.00", "deposit-first")
        with pytest.raises(TransactionConflictError):
            stale.commit()
    assert stored(store, account_id).balance == Decimal("12.00")
    assert [version for _, version, _ in store.outbox(account_id)] == [1, 2, 3]
    assert recorded(store, "deposit-stale") is None


def test_a_conflict_on_one_account_writes_neither(store: Store) -> None:
    source, target = opened(store), opened(store)
    with store.unit_of_work() as uow:
        source_account, target_account = uow.accounts.get(source), uow.accounts.get(target)
        transfer(source_account, target_account, Decimal("5.00"), transfer_id=uuid4(), now=clock())
        deposit(store, target, "1.00", "deposit-target")
        with pytest.raises(TransactionConflictError):
            uow.commit()
    assert (stored(store, source).balance, stored(store, source).version) == (Decimal("10.00"), 2)
    assert (stored(store, target).balance, stored(store, target).version) == (Decimal("11.00"), 3)
    assert len(store.outbox(source)) == 2


def test_an_account_read_but_not_changed_is_not_version_checked(store: Store) -> None:
    read_only, changed = opened(store), opened(store)
    with store.unit_of_work() as uow:
        uow.accounts.get(read_only)
        uow.accounts.get(changed).deposit(Decimal("1.00"), clock())
        deposit(store, read_only, "1.00", "deposit-meanwhile")
        uow.commit()
    assert stored(store, changed).version == 3
    assert stored(store, read_only).version == 3


def test_adding_an_account_that_already_exists_conflicts(store: Store) -> None:
    account_id = opened(store)
    duplicate = new_account(account_id, owner="Eve", initial=None)
    with store.unit_of_work() as uow:
        uow.accounts.add(duplicate)
        with pytest.raises(TransactionConflictError):
            uow.commit()
    assert stored(store, account_id).owner == "Ada"


def test_a_command_id_already_recorded_conflicts_and_writes_nothing(store: Store) -> None:
    first, second = opened(store), opened(store)
    with store.unit_of_work() as late:
        late.accounts.get(second).deposit(Decimal("3.00"), clock())
        late.commands.add(record_of("same-key", late.accounts.get(second)))
        deposit(store, first, "1.00", "same-key")
        with pytest.raises(TransactionConflictError):
            late.commit()
    assert (stored(store, second).balance, len(store.outbox(second))) == (Decimal("10.00"), 2)
    record = recorded(store, "same-key")
    assert record is not None and isinstance(record.result, AccountCommandResult)
    assert record.result.account_id == first


def test_an_unknown_account_is_not_found(store: Store) -> None:
    with store.unit_of_work() as uow, pytest.raises(AccountNotFoundError):
        uow.accounts.get(uuid4())


def test_the_repository_gives_one_object_per_account(store: Store) -> None:
    account_id = opened(store)
    with store.unit_of_work() as uow:
        assert uow.accounts.get(account_id) is uow.accounts.get(account_id)
