"""Fault-test helper: compare the write side (MongoDB) with the read side (MySQL), account by account."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from pymongo.database import Database

from accounts_read.models import AccountView, LedgerLine
from accounts_write.contract import ACCOUNTS_COLLECTION, OUTBOX_COLLECTION, EventType, OutboxStatus
from accounts_write.contract import OutboxField as F

MONEY_EVENTS = [
    EventType.FUNDS_DEPOSITED.value, EventType.FUNDS_WITHDRAWN.value,
    EventType.TRANSFER_SENT.value, EventType.TRANSFER_RECEIVED.value,
]


def drift(database: Database[Any]) -> list[str]:
    """Every difference between write and read side; empty when they agree exactly."""
    problems: list[str] = []
    write = {doc["_id"]: doc for doc in database[ACCOUNTS_COLLECTION].find()}
    read = {view.account_id: view for view in AccountView.objects.all()}
    for account_id in write.keys() | read.keys():
        source, view = write.get(account_id), read.get(account_id)
        if source is None or view is None:
            problems.append(f"{account_id}: only on the {'read' if source is None else 'write'} side")
            continue
        expected = (source["balance"].to_decimal(), source["status"], source["version"], source["owner"])
        actual = (Decimal(view.balance), view.status, view.version, view.owner)
        if expected != actual:
            problems.append(f"{account_id}: write {expected} != read {actual}")
    money_event_ids = {
        doc["_id"] for doc in database[OUTBOX_COLLECTION].find({F.EVENT_TYPE: {"$in": MONEY_EVENTS}}, ["_id"])
    }
    ledger_ids = list(LedgerLine.objects.values_list("event_id", flat=True))
    if len(ledger_ids) != len(set(ledger_ids)):
        problems.append("duplicate ledger lines")
    if set(ledger_ids) != money_event_ids:
        problems.append(
            f"ledger vs money events: {len(set(ledger_ids) - money_event_ids)} extra, "
            f"{len(money_event_ids - set(ledger_ids))} missing"
        )
    return problems


def not_done(database: Database[Any]) -> int:
    return database[OUTBOX_COLLECTION].count_documents({F.STATUS: {"$ne": OutboxStatus.DONE.value}})


def wait_for_convergence(database: Database[Any], timeout: float, *logs_of: Any) -> None:
    """Wait until write and read side agree and every outbox entry is done; ``logs_of``: projector
    processes whose log tails go into the failure message."""
    deadline = time.monotonic() + timeout
    problems: list[str] = []
    while time.monotonic() < deadline:
        problems = drift(database)
        if not problems and not_done(database) == 0:
            return
        time.sleep(0.25)
    logs = "\n".join(f"--- log of {process.owner}:\n{process.log()[-4000:]}" for process in logs_of)
    raise AssertionError(
        f"no convergence within {timeout} s; {not_done(database)} entries not done; drift: {problems[:5]}\n"
        + logs
    )
