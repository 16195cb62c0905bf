"""deliver() with a status writer: the claim overlaps the MySQL transaction, in order with the outcome."""

from __future__ import annotations

import pytest

from accounts_write.contract import OutboxField as F
from accounts_write.contract import OutboxStatus
from projector.delivery import deliver
from projector.outbox import StatusWriter
from tests.factories.outbox import AccountHistory
from tests.factories.read_models import LedgerLineFactory

pytestmark = pytest.mark.django_db


def stored(outbox, document):
    return outbox.collection.find_one({"_id": document["_id"]})


def test_a_batch_delivered_through_the_status_writer_ends_done_with_its_lease_cleared(outbox):
    ada = AccountHistory()
    documents = [ada.opened(), ada.deposited("3.00")]
    outbox.collection.insert_many(documents)

    with StatusWriter() as status_writer:
        outcome = deliver(documents, outbox, owner="test", status_writer=status_writer)

    assert outcome.applied == 2
    for document in documents:
        entry = stored(outbox, document)
        assert (entry[F.STATUS], entry[F.LEASE_OWNER]) == (OutboxStatus.DONE, None)


def test_an_event_that_fails_in_mysql_ends_failed_not_claimed(outbox):
    ada = AccountHistory()
    documents = [ada.opened(), ada.deposited("3.00")]
    outbox.collection.insert_many(documents)
    LedgerLineFactory(event_id=documents[1]["_id"])  # the deposit's ledger insert will clash

    with StatusWriter() as status_writer:
        outcome = deliver(documents, outbox, owner="test", status_writer=status_writer)

    assert (outcome.applied, outcome.failed) == (1, 1)
    opened, failed = (stored(outbox, document) for document in documents)
    assert (opened[F.STATUS], opened[F.LEASE_OWNER]) == (OutboxStatus.DONE, None)
    assert (failed[F.STATUS], failed[F.ATTEMPTS], failed[F.LEASE_OWNER]) == (OutboxStatus.FAILED, 1, None)
