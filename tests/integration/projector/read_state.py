"""Test helpers: rich outbox histories, projected live, and the read models dumped for comparison."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from accounts_read.models import AccountView, DailyTotal, LedgerLine
from projector.delivery import deliver
from projector.outbox import OutboxStore
from tests.factories.outbox import AccountHistory

ACCOUNT_COLUMNS = (
    "account_id", "owner", "currency", "balance", "status", "version", "opened_at", "updated_at",
    "closed_at", "attention", "attention_event_id",
)
LEDGER_COLUMNS = (
    "event_id", "account_id", "aggregate_version", "entry_type", "amount", "balance_after",
    "counterparty_id", "transfer_id", "occurred_at",
)
DAILY_COLUMNS = (
    "day", "currency", "deposited", "withdrawn", "transferred", "deposit_count", "withdrawal_count",
    "transfer_count", "accounts_opened", "accounts_closed",
)


def read_models_dump() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the three live read models, without surrogate keys, in a stable order."""
    return {
        "accounts": list(AccountView.objects.order_by("account_id").values_list(*ACCOUNT_COLUMNS)),
        "ledger": list(LedgerLine.objects.order_by("event_id").values_list(*LEDGER_COLUMNS)),
        "daily": list(DailyTotal.objects.order_by("day", "currency").values_list(*DAILY_COLUMNS)),
    }


def bank_histories(accounts: int, events_per_account: int, seed: int = 7) -> list[AccountHistory]:
    """Accounts over several days: deposits, withdrawals, transfers between them, some closed."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 20, tzinfo=UTC)
    histories = [
        AccountHistory(f"Owner {n}", rng.choice(["EUR", "USD"]), start=start + timedelta(hours=n))
        for n in range(accounts)
    ]
    for history in histories:
        history.opened()
        history.deposited(f"{rng.randint(100, 900)}.{rng.randint(0, 99):02d}")
    for _ in range(accounts * (events_per_account - 2)):
        history = rng.choice(histories)
        kind = rng.random()
        amount = f"{rng.randint(1, 40)}.{rng.randint(0, 99):02d}"
        if kind < 0.45:
            history.deposited(amount)
        elif kind < 0.75 and history.balance > 50:
            history.withdrawn(amount)
        else:
            other = rng.choice([h for h in histories if h.currency == history.currency])
            if other is not history and history.balance > 50:
                history.transfer_to(other, amount)
    for history in histories[: max(1, accounts // 10)]:
        if history.balance:
            history.withdrawn(str(history.balance))
        history.closed()
    return histories


def project_live(outbox: OutboxStore, histories: list[AccountHistory], batch_size: int = 200) -> None:
    """Insert the histories' events and project them through the normal delivery, shuffled."""
    documents = [doc for history in histories for doc in history.documents]
    outbox.collection.insert_many(documents)
    shuffled = documents[:]
    random.Random(3).shuffle(shuffled)
    for start in range(0, len(shuffled), batch_size):
        deliver(shuffled[start : start + batch_size], outbox, owner="live")
    # Events held back by the shuffle were released to pending: deliver until all are in.
    for _ in range(50):
        pending = list(outbox.collection.find({"status": {"$in": ["pending", "failed"]}}))
        if not pending:
            return
        deliver(pending, outbox, owner="live")
    raise AssertionError("the histories did not project completely")
