"""Helpers of the fault-button tests: accounts made through the page's own forms, projected on demand."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.test import Client

from projector.bootstrap import outbox_store
from projector.retry import retry_due, sweep_unfinished

UNKNOWN_ENTRY = uuid.UUID("00000000-0000-4000-8000-00000000dead")
FAULT_URLS = [
    "/demo/faults/poison/",
    "/demo/faults/cure/",
    "/demo/faults/corrupt/",
    "/demo/faults/reconcile/",
    "/demo/faults/replay/",
    # An id no entry has; fixed, so that every run (and every xdist worker) collects the same tests.
    f"/demo/deadletters/{UNKNOWN_ENTRY}/retry/",
    f"/demo/deadletters/{UNKNOWN_ENTRY}/skip/",
]


def open_account(client: Client, owner: str = "Ada Lovelace", deposit: str = "100.00") -> uuid.UUID:
    data = {"command_id": str(uuid.uuid4()), "owner": owner, "initial_deposit": deposit, "currency": "EUR"}
    response = client.post("/demo/commands/open/", data)
    assert response.status_code == 200
    return uuid.UUID(response["HX-Replace-Url"].split("account=")[1])


def deposit(client: Client, account_id: uuid.UUID, amount: str) -> None:
    data = {"command_id": str(uuid.uuid4()), "account": str(account_id), "amount": amount}
    response = client.post("/demo/commands/deposit/", data)
    assert "Deposited into" in response.content.decode(), response.content.decode()


def project() -> None:
    """What the projector would do with everything in the outbox now."""
    sweep_unfinished(outbox_store(), owner="test", batch_size=100, kind="test")


def retry_until_settled(rounds: int = 5) -> None:
    """What the retry sweep would do over a few rounds (no backoff in these tests)."""
    for _ in range(rounds):
        retry_due(outbox_store(), owner="retry", pending_grace=timedelta(0), limit=1000, batch_size=100)
