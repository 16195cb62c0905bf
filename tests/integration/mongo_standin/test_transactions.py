"""Integration tests: sessions and multi-document transactions (visibility, snapshot, conflicts)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from bson import Int64
from bson.son import SON
from pymongo import MongoClient
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import OperationFailure
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from .conftest import ClientFactory

pytestmark = pytest.mark.timeout(30)

WRITE_CONFLICT = 112
NO_SUCH_TRANSACTION = 251


@pytest.fixture
def accounts(mongo_db: Database) -> Database:
    """A database whose collections exist up front, as transactions on older servers require."""
    mongo_db.create_collection("accounts")
    mongo_db.create_collection("ledger")
    return mongo_db


def test_with_transaction_commits_its_writes(mongo_client: MongoClient, accounts: Database) -> None:
    def deposit(session: ClientSession) -> None:
        accounts["accounts"].insert_one({"_id": "a", "balance": 10}, session=session)

    with mongo_client.start_session() as session:
        session.with_transaction(deposit)
    assert accounts["accounts"].find_one({"_id": "a"}) == {"_id": "a", "balance": 10}


def test_uncommitted_writes_are_invisible_outside_the_transaction(
    mongo_client: MongoClient, accounts: Database
) -> None:
    seen_from_outside: list[Any] = []

    def deposit(session: ClientSession) -> None:
        accounts["accounts"].insert_one({"_id": "a", "balance": 10}, session=session)
        seen_from_outside.append(accounts["accounts"].find_one({"_id": "a"}))

    with mongo_client.start_session() as session:
        session.with_transaction(deposit)
    assert seen_from_outside == [None]


def test_uncommitted_writes_are_invisible_to_another_client(
    make_client: ClientFactory, mongo_client: MongoClient, accounts: Database
) -> None:
    other = make_client()[accounts.name]["accounts"]
    with mongo_client.start_session() as session, session.start_transaction():
        accounts["accounts"].insert_one({"_id": "a"}, session=session)
        assert other.find_one({"_id": "a"}) is None
    assert other.find_one({"_id": "a"}) == {"_id": "a"}


def test_a_transaction_reads_its_own_writes(mongo_client: MongoClient, accounts: Database) -> None:
    with mongo_client.start_session() as session, session.start_transaction():
        accounts["accounts"].insert_one({"_id": "a", "balance": 1}, session=session)
        accounts["accounts"].update_one({"_id": "a"}, {"$inc": {"balance": 1}}, session=session)
        assert accounts["accounts"].find_one({"_id": "a"}, session=session) == {"_id": "a", "balance": 2}


def test_snapshot_transaction_does_not_see_a_write_committed_after_its_first_read(
    mongo_client: MongoClient, accounts: Database
) -> None:
    accounts["accounts"].insert_many([{"_id": "a", "balance": 1}, {"_id": "b", "balance": 1}])
    with (
        mongo_client.start_session() as session,
        session.start_transaction(
            read_concern=ReadConcern("snapshot"), write_concern=WriteConcern("majority")
        ),
    ):
        assert accounts["accounts"].find_one({"_id": "a"}, session=session) == {"_id": "a", "balance": 1}
        accounts["accounts"].update_one({"_id": "b"}, {"$set": {"balance": 99}})
        accounts["accounts"].insert_one({"_id": "c", "balance": 5})
        assert accounts["accounts"].find_one({"_id": "b"}, session=session) == {"_id": "b", "balance": 1}
        assert accounts["accounts"].find_one({"_id": "c"}, session=session) is None
    assert accounts["accounts"].find_one({"_id": "b"}) == {"_id": "b", "balance": 99}


def test_abort_leaves_no_documents(mongo_client: MongoClient, accounts: Database) -> None:
    with mongo_client.start_session() as session:
        session.start_transaction()
        accounts["accounts"].insert_many([{"_id": "a"}, {"_id": "b"}], session=session)
        accounts["ledger"].insert_one({"_id": 1}, session=session)
        session.abort_transaction()
    assert accounts["accounts"].count_documents({}) == 0
    assert accounts["ledger"].count_documents({}) == 0


def test_abort_undoes_updates_and_deletes(mongo_client: MongoClient, accounts: Database) -> None:
    accounts["accounts"].insert_many([{"_id": "a", "balance": 1}, {"_id": "b", "balance": 1}])
    with mongo_client.start_session() as session:
        session.start_transaction()
        accounts["accounts"].update_one({"_id": "a"}, {"$inc": {"balance": 5}}, session=session)
        accounts["accounts"].delete_one({"_id": "b"}, session=session)
        session.abort_transaction()
    assert list(accounts["accounts"].find().sort("_id")) == [
        {"_id": "a", "balance": 1},
        {"_id": "b", "balance": 1},
    ]


def test_exception_in_with_transaction_callback_aborts(mongo_client: MongoClient, accounts: Database) -> None:
    class CallbackFailedError(Exception):
        pass

    def failing(session: ClientSession) -> None:
        accounts["accounts"].insert_one({"_id": "a"}, session=session)
        raise CallbackFailedError

    with mongo_client.start_session() as session, pytest.raises(CallbackFailedError):
        session.with_transaction(failing)
    assert accounts["accounts"].count_documents({}) == 0


def test_transaction_spanning_two_collections_commits_both(
    mongo_client: MongoClient, accounts: Database
) -> None:
    def transfer(session: ClientSession) -> None:
        accounts["accounts"].insert_one({"_id": "a", "balance": 5}, session=session)
        accounts["ledger"].insert_one({"_id": 1, "account": "a", "amount": 5}, session=session)

    with mongo_client.start_session() as session:
        session.with_transaction(transfer)
    assert accounts["accounts"].count_documents({}) == 1
    assert accounts["ledger"].count_documents({}) == 1


def test_concurrent_transactions_writing_one_document_conflict(
    mongo_client: MongoClient, accounts: Database
) -> None:
    accounts["accounts"].insert_one({"_id": "a", "balance": 0})
    with mongo_client.start_session() as first, mongo_client.start_session() as second:
        first.start_transaction()
        second.start_transaction()
        accounts["accounts"].update_one({"_id": "a"}, {"$inc": {"balance": 1}}, session=first)
        with pytest.raises(OperationFailure) as failure:
            accounts["accounts"].update_one({"_id": "a"}, {"$inc": {"balance": 10}}, session=second)
        assert failure.value.code == WRITE_CONFLICT
        assert failure.value.has_error_label("TransientTransactionError")
        second.abort_transaction()
        first.commit_transaction()
    assert accounts["accounts"].find_one({"_id": "a"}) == {"_id": "a", "balance": 1}


@pytest.mark.slow
def test_write_outside_a_transaction_waits_for_it_to_commit_then_applies(
    mongo_client: MongoClient, accounts: Database
) -> None:
    accounts["accounts"].insert_one({"_id": "a", "balance": 0})
    outcome: list[Any] = []

    def outside_write() -> None:
        try:
            outcome.append(
                accounts["accounts"].update_one({"_id": "a"}, {"$inc": {"balance": 10}}).modified_count
            )
        except Exception as exc:  # handed to the main thread's assertions
            outcome.append(exc)

    with mongo_client.start_session() as session:
        session.start_transaction()
        accounts["accounts"].update_one({"_id": "a"}, {"$inc": {"balance": 1}}, session=session)
        writer = threading.Thread(target=outside_write, daemon=True)
        writer.start()
        writer.join(timeout=0.5)
        waited_for_the_transaction = writer.is_alive()
        session.commit_transaction()
    writer.join(timeout=10)
    assert waited_for_the_transaction
    assert outcome == [1]
    assert accounts["accounts"].find_one({"_id": "a"}) == {"_id": "a", "balance": 11}


def test_commit_transaction_called_twice_succeeds(mongo_client: MongoClient, accounts: Database) -> None:
    with mongo_client.start_session() as session:
        session.start_transaction()
        accounts["accounts"].insert_one({"_id": "a"}, session=session)
        session.commit_transaction()
        session.commit_transaction()
    assert accounts["accounts"].count_documents({}) == 1


# --- raw transaction commands (explicit txnNumber on a dedicated client's session) ---------------


def _raw_session(client: MongoClient) -> ClientSession:
    # Without causal consistency the driver adds no readConcern, which the server only accepts on a
    # transaction's first statement.
    return client.start_session(causal_consistency=False)


def _raw_insert_in_transaction(db: Database, session: ClientSession, txn_number: int, doc: dict) -> None:
    db.command(
        SON(
            [
                ("insert", "accounts"),
                ("documents", [doc]),
                ("txnNumber", Int64(txn_number)),
                ("startTransaction", True),
                ("autocommit", False),
            ]
        ),
        session=session,
    )


def _raw_end_transaction(client: MongoClient, session: ClientSession, verb: str, txn_number: int) -> Any:
    return client.admin.command(
        SON([(verb, 1), ("txnNumber", Int64(txn_number)), ("autocommit", False)]), session=session
    )


def test_raw_commit_transaction_repeated_after_success_is_idempotent(
    make_client: ClientFactory, accounts: Database
) -> None:
    client = make_client()
    db = client[accounts.name]
    with _raw_session(client) as session:
        _raw_insert_in_transaction(db, session, 7, {"_id": "a"})
        assert _raw_end_transaction(client, session, "commitTransaction", 7)["ok"] == 1
        assert _raw_end_transaction(client, session, "commitTransaction", 7)["ok"] == 1
    assert accounts["accounts"].count_documents({}) == 1


def test_raw_commit_of_an_aborted_transaction_fails_with_no_such_transaction(
    make_client: ClientFactory, accounts: Database
) -> None:
    client = make_client()
    db = client[accounts.name]
    with _raw_session(client) as session:
        _raw_insert_in_transaction(db, session, 3, {"_id": "a"})
        _raw_end_transaction(client, session, "abortTransaction", 3)
        with pytest.raises(OperationFailure) as failure:
            _raw_end_transaction(client, session, "commitTransaction", 3)
    assert failure.value.code == NO_SUCH_TRANSACTION
    assert accounts["accounts"].count_documents({}) == 0


def test_raw_commit_of_an_unknown_transaction_number_fails_with_no_such_transaction(
    make_client: ClientFactory, accounts: Database
) -> None:
    client = make_client()
    with _raw_session(client) as session:
        client.admin.command("ping", session=session)
        with pytest.raises(OperationFailure) as failure:
            _raw_end_transaction(client, session, "commitTransaction", 42)
    assert failure.value.code == NO_SUCH_TRANSACTION


def test_raw_commit_of_a_continued_transaction_makes_its_writes_visible(
    make_client: ClientFactory, accounts: Database
) -> None:
    client = make_client()
    db = client[accounts.name]
    with _raw_session(client) as session:
        _raw_insert_in_transaction(db, session, 1, {"_id": "a"})
        db.command(
            SON(
                [
                    ("insert", "ledger"),
                    ("documents", [{"_id": 1}]),
                    ("txnNumber", Int64(1)),
                    ("autocommit", False),
                ]
            ),
            session=session,
        )
        assert accounts["ledger"].count_documents({}) == 0
        _raw_end_transaction(client, session, "commitTransaction", 1)
    assert accounts["accounts"].count_documents({}) == 1
    assert accounts["ledger"].count_documents({}) == 1


def test_collection_created_in_a_transaction_exists_only_once_committed(
    mongo_client: MongoClient, mongo_db: Database
) -> None:
    with mongo_client.start_session() as session, session.start_transaction():
        mongo_db["created_here"].insert_one({"_id": 1}, session=session)
        assert "created_here" not in mongo_db.list_collection_names()
    assert mongo_db.list_collection_names() == ["created_here"]
    assert mongo_db["created_here"].find_one({"_id": 1}) == {"_id": 1}


def test_collection_created_in_an_aborted_transaction_does_not_exist(
    mongo_client: MongoClient, mongo_db: Database
) -> None:
    with mongo_client.start_session() as session:
        session.start_transaction()
        mongo_db["created_here"].insert_one({"_id": 1}, session=session)
        session.abort_transaction()
    assert "created_here" not in mongo_db.list_collection_names()


def test_second_transaction_creating_the_same_collection_gets_a_write_conflict(
    mongo_client: MongoClient, mongo_db: Database
) -> None:
    with mongo_client.start_session() as first, mongo_client.start_session() as second:
        first.start_transaction()
        second.start_transaction()
        mongo_db["created_here"].insert_one({"_id": 1}, session=first)
        with pytest.raises(OperationFailure) as failure:
            mongo_db["created_here"].insert_one({"_id": 2}, session=second)
        assert failure.value.code == WRITE_CONFLICT
        assert failure.value.has_error_label("TransientTransactionError")
        second.abort_transaction()
        first.commit_transaction()
    assert [doc["_id"] for doc in mongo_db["created_here"].find()] == [1]
