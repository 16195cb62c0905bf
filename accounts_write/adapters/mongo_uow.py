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
from accounts_write.application.ports import AccountRepository, CommandLog, UnitOfWork
from accounts_write.domain.events import DomainEvent
from accounts_write.domain.model import BankAccount

MongoDatabase = Database[dict[str, Any]]
# Snapshot reads and majority commits: a transaction sees one consistent state and survives failover.
SNAPSHOT = ReadConcern("snapshot")
MAJORITY = WriteConcern("majority")
ABORT_TIMEOUT_SECONDS = 0.5


class MongoAccountRepository(AccountRepository):
    """Loads accounts inside the transaction and remembers each one's version as read."""

    def __init__(self, database: MongoDatabase, session: ClientSession) -> None:
        super().__init__()
        self._collection = database[contract.ACCOUNTS_COLLECTION]
        self._session = session
        self.versions_read: dict[UUID, int] = {}

    def _load(self, account_id: UUID) -> BankAccount:
        with translated_driver_errors("load account"):
            document = self._collection.find_one({"_id": account_id}, session=self._session)
        if document is None:
            raise AccountNotFoundError(account_id)
        account = mappers.account_from_document(document)
        self.versions_read[account.id] = account.version
        return account

    def save_changes(self) -> list[DomainEvent]:
        """Write every changed account (version-checked); return the events they raised."""
        events: list[DomainEvent] = []
        for account in self.seen.values():
            new_events = account.take_events()
            if not new_events:
                continue
            if account.id in self.versions_read:
                self._update(account, self.versions_read[account.id])
            else:
                self._collection.insert_one(mappers.account_to_document(account), session=self._session)
            events.extend(new_events)
        return events

    def _update(self, account: BankAccount, version_read: int) -> None:
        document = mappers.account_to_document(account)
        del document["_id"]
        outcome = self._collection.update_one(
            {"_id": account.id, "version": version_read}, {"$set": document}, session=self._session
        )
        if outcome.matched_count != 1:
            raise TransactionConflictError(
                f"account {account.id} changed after version {version_read} was read"
            )


class MongoCommandLog(CommandLog):
    def __init__(self, database: MongoDatabase, session: ClientSession) -> None:
        self._collection = database[contract.COMMANDS_COLLECTION]
        self._session = session
        self.pending: CommandRecord | None = None

    def get(self, command_id: str) -> CommandRecord | None:
        with translated_driver_errors("load command record"):
            document = self._collection.find_one({"_id": command_id}, session=self._session)
        return None if document is None else mappers.command_record_from_document(document)

    def add(self, record: CommandRecord) -> None:
        self.pending = record


class MongoUnitOfWork(UnitOfWork):
    """A pymongo session with one transaction; rolls back unless ``commit()`` is called."""

    accounts: MongoAccountRepository
    commands: MongoCommandLog

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

    def commit(self) -> None:
        session = self._require_session()
        with translated_driver_errors("commit"):
            events = self.accounts.save_changes()
            record = self.commands.pending
            command_id = record.command_id if record is not None else None
            if events:
                outbox = [mappers.event_to_outbox(event, command_id, command_id) for event in events]
                self._database[contract.OUTBOX_COLLECTION].insert_many(outbox, session=session)
            if record is not None:
                self._database[contract.COMMANDS_COLLECTION].insert_one(
                    mappers.command_record_to_document(record), session=session
                )
            session.commit_transaction()

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
