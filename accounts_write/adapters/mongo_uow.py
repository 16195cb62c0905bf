"""Adapters: the MongoDB unit of work — account, outbox events and command record in one transaction."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self
from uuid import UUID

import pymongo
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from accounts_write import contract
from accounts_write.adapters import mappers
from accounts_write.adapters.driver_errors import translated_driver_errors
from accounts_write.application.errors import AccountNotFoundError, TransactionConflictError
from accounts_write.application.idempotency import CommandRecord
from accounts_write.application.ports import AccountChange, AccountRepository, CommandLog, Commit, UnitOfWork
from accounts_write.domain.model import BankAccount

MongoDatabase = Database[dict[str, Any]]
# Snapshot reads and majority commits: a transaction sees one consistent state and survives failover.
SNAPSHOT = ReadConcern("snapshot")
MAJORITY = WriteConcern("majority")
ABORT_TIMEOUT_SECONDS = 0.5


class MongoAccountRepository(AccountRepository):
    """Loads accounts inside the transaction."""

    def __init__(self, database: MongoDatabase, session: ClientSession) -> None:
        super().__init__()
        self._collection = database[contract.ACCOUNTS_COLLECTION]
        self._session = session

    def _load(self, account_id: UUID) -> BankAccount:
        with translated_driver_errors("load account"):
            document = self._collection.find_one({"_id": account_id}, session=self._session)
        if document is None:
            raise AccountNotFoundError(account_id)
        return mappers.account_from_document(document)


class MongoCommandLog(CommandLog):
    def __init__(self, database: MongoDatabase, session: ClientSession) -> None:
        super().__init__()
        self._collection = database[contract.COMMANDS_COLLECTION]
        self._session = session

    def get(self, command_id: str) -> CommandRecord | None:
        with translated_driver_errors("load command record"):
            document = self._collection.find_one({"_id": command_id}, session=self._session)
        return None if document is None else mappers.command_record_from_document(document)


class MongoUnitOfWork(UnitOfWork):
    """A pymongo session with one transaction; rolls back unless ``commit()`` is called."""

    def __init__(self, database: MongoDatabase) -> None:
        self._database = database
        self._session: ClientSession | None = None

    def __enter__(self) -> Self:
        with translated_driver_errors("start transaction"):
            self._session = self._database.client.start_session()
            self._session.start_transaction(read_concern=SNAPSHOT, write_concern=MAJORITY)
        self.accounts = MongoAccountRepository(self._database, self._session)
        self.commands = MongoCommandLog(self._database, self._session)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        finally:
            if self._session is not None:
                self._session.end_session()
                self._session = None

    def _write(self, commit: Commit) -> None:
        session = self._require_session()
        with translated_driver_errors("commit"):
            for change in commit.changes:
                self._write_account(change, session)
            if commit.events:
                command_id = commit.command_id
                outbox = [mappers.event_to_outbox(event, command_id, command_id) for event in commit.events]
                self._database[contract.OUTBOX_COLLECTION].insert_many(outbox, session=session)
            if commit.record is not None:
                self._database[contract.COMMANDS_COLLECTION].insert_one(
                    mappers.command_record_to_document(commit.record), session=session
                )
            session.commit_transaction()

    def _write_account(self, change: AccountChange, session: ClientSession) -> None:
        """Insert a new account; update a loaded one only if it is still at the version read."""
        accounts = self._database[contract.ACCOUNTS_COLLECTION]
        document = mappers.account_to_document(change.account)
        if change.version_read is None:
            accounts.insert_one(document, session=session)
            return
        del document["_id"]
        outcome = accounts.update_one(
            {"_id": change.account.id, "version": change.version_read}, {"$set": document}, session=session
        )
        if outcome.matched_count != 1:
            raise TransactionConflictError(
                f"account {change.account.id} changed after version {change.version_read} was read"
            )

    def rollback(self) -> None:
        if self._session is not None and self._session.in_transaction:
            # Bounded, so a failing server cannot hold the request: pymongo ignores abort errors
            # (transactions spec), and the server discards an abandoned transaction by itself.
            with pymongo.timeout(ABORT_TIMEOUT_SECONDS):
                self._session.abort_transaction()

    def _require_session(self) -> ClientSession:
        if self._session is None:
            raise RuntimeError("MongoUnitOfWork used outside its `with` block")
        return self._session
