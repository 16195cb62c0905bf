"""Adapters: the MongoDB unit of work — account, outbox events and command record in one transaction.

Also what that transaction needs to speak MongoDB: accounts, events and command records mapped to
documents and back, and pymongo errors translated into the application's errors (handlers never see
pymongo).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self
from uuid import UUID

import pymongo
from bson.decimal128 import Decimal128
from pymongo.client_session import ClientSession
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, DuplicateKeyError, OperationFailure, PyMongoError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from accounts_write import contract
from accounts_write.application.errors import (
    AccountNotFoundError,
    TransactionConflictError,
    WriteStoreError,
    WriteStoreUnavailableError,
)
from accounts_write.application.ports import (
    AccountChange,
    AccountRepository,
    CommandLog,
    CommandRecord,
    Commit,
    UnitOfWork,
)
from accounts_write.application.results import (
    AccountCommandResult,
    AccountState,
    CommandResult,
    TransferResult,
)
from accounts_write.domain import events as ev
from accounts_write.domain.model import CENT, AccountStatus, BankAccount, Currency

logger = logging.getLogger(__name__)

WRITE_CONFLICT = 112
ILLEGAL_OPERATION = 20
RETRYABLE_LABELS = ("TransientTransactionError", "UnknownTransactionCommitResult")


@contextmanager
def translated_driver_errors(operation: str) -> Iterator[None]:
    """Run a MongoDB operation; re-raise its failure as an application error, with the cause chained.

    Connectivity failures are not retried: the server selection timeout already spent the
    request's time budget, and the client may safely repeat the command with its Idempotency-Key.
    """
    try:
        yield
    except ConnectionFailure as exc:  # includes ServerSelectionTimeoutError, AutoReconnect, NetworkTimeout
        logger.warning("write store unreachable during %s: %s", operation, exc)
        raise WriteStoreUnavailableError("the write database (MongoDB) cannot be reached") from exc
    except DuplicateKeyError as exc:
        # A concurrent command took the same command id or aggregate version first.
        raise TransactionConflictError(f"{operation}: duplicate key ({exc.details})") from exc
    except PyMongoError as exc:
        if _is_transient(exc):
            raise TransactionConflictError(f"{operation}: {exc}") from exc
        if isinstance(exc, OperationFailure) and exc.code == ILLEGAL_OPERATION:
            logger.error("write store refused a transaction during %s: %s", operation, exc)
            raise WriteStoreError(
                "the write database refused the transaction; it must be a MongoDB replica set "
                "(run `manage.py ensure_mongo` to check)"
            ) from exc
        logger.error("write store failed during %s: %s", operation, exc, exc_info=exc)
        raise WriteStoreError(f"the write database failed the command ({type(exc).__name__})") from exc


def _is_transient(exc: PyMongoError) -> bool:
    if any(exc.has_error_label(label) for label in RETRYABLE_LABELS):
        return True
    return isinstance(exc, OperationFailure) and exc.code == WRITE_CONFLICT


# --- documents ----------------------------------------------------------------------------------

Document = dict[str, Any]
F = contract.OutboxField
A = contract.AccountField

EVENT_CLASSES: dict[contract.EventType, type[ev.DomainEvent]] = {
    contract.EventType.ACCOUNT_OPENED: ev.AccountOpened,
    contract.EventType.FUNDS_DEPOSITED: ev.FundsDeposited,
    contract.EventType.FUNDS_WITHDRAWN: ev.FundsWithdrawn,
    contract.EventType.TRANSFER_SENT: ev.TransferSent,
    contract.EventType.TRANSFER_RECEIVED: ev.TransferReceived,
    contract.EventType.ACCOUNT_CLOSED: ev.AccountClosed,
}
EVENT_TYPES = {event_class: event_type for event_type, event_class in EVENT_CLASSES.items()}


def to_decimal128(value: Decimal) -> Decimal128:
    return Decimal128(value.quantize(CENT))


def from_decimal128(value: Decimal128 | Decimal) -> Decimal:
    amount = value.to_decimal() if isinstance(value, Decimal128) else value
    return amount.quantize(CENT)


# --- accounts ---------------------------------------------------------------------------------


def account_to_document(account: BankAccount) -> Document:
    return {
        A.ID: account.id,
        A.OWNER: account.owner,
        A.CURRENCY: account.currency.value,
        A.BALANCE: to_decimal128(account.balance),
        A.STATUS: account.status.value,
        A.VERSION: account.version,
        A.OPENED_AT: account.opened_at,
        A.UPDATED_AT: account.updated_at,
        A.CLOSED_AT: account.closed_at,
    }


def account_from_document(document: Document) -> BankAccount:
    return BankAccount(
        id=document[A.ID],
        owner=document[A.OWNER],
        currency=Currency(document[A.CURRENCY]),
        balance=from_decimal128(document[A.BALANCE]),
        status=AccountStatus(document[A.STATUS]),
        version=document[A.VERSION],
        opened_at=document[A.OPENED_AT],
        updated_at=document[A.UPDATED_AT],
        closed_at=document.get(A.CLOSED_AT),
    )


# --- outbox -----------------------------------------------------------------------------------


def event_to_outbox(event: ev.DomainEvent, command_id: str | None, correlation_id: str | None) -> Document:
    """One outbox document in the published contract, in its initial delivery state."""
    event_type = EVENT_TYPES[type(event)]
    schema = contract.schema_for(event_type, contract.CURRENT_SCHEMA_VERSION[event_type])
    payload: Document = {}
    for name in schema.fields:
        value = getattr(event, name)
        payload[name] = to_decimal128(value) if name in schema.money_fields else value
    return {
        F.EVENT_ID: event.event_id,
        F.AGGREGATE_TYPE: contract.AGGREGATE_TYPE,
        F.AGGREGATE_ID: event.aggregate_id,
        F.AGGREGATE_VERSION: event.aggregate_version,
        F.EVENT_TYPE: event_type.value,
        F.SCHEMA_VERSION: schema.schema_version,
        F.PAYLOAD: payload,
        F.OCCURRED_AT: event.occurred_at,
        F.COMMAND_ID: command_id,
        F.CORRELATION_ID: correlation_id,
        **contract.initial_delivery_state(),
    }


# --- command records --------------------------------------------------------------------------


def _state_to_document(state: AccountState) -> Document:
    return {"account_id": state.account_id, "version": state.version, "balance": to_decimal128(state.balance)}


def _result_to_document(result: CommandResult) -> Document:
    if isinstance(result, TransferResult):
        return {
            "kind": "transfer",
            "transfer_id": result.transfer_id,
            "from_account": _state_to_document(result.from_account),
            "to_account": _state_to_document(result.to_account),
            "event_ids": list(result.event_ids),
        }
    return {
        "kind": "account",
        "account_id": result.account_id,
        "version": result.version,
        "balance": to_decimal128(result.balance),
        "event_ids": list(result.event_ids),
    }


def _state_from_document(document: Document) -> AccountState:
    return AccountState(document["account_id"], document["version"], from_decimal128(document["balance"]))


def _result_from_document(document: Document, command_id: str) -> CommandResult:
    event_ids: tuple[UUID, ...] = tuple(document["event_ids"])
    if document["kind"] == "transfer":
        return TransferResult(
            transfer_id=document["transfer_id"],
            from_account=_state_from_document(document["from_account"]),
            to_account=_state_from_document(document["to_account"]),
            event_ids=event_ids,
            command_id=command_id,
        )
    return AccountCommandResult(
        account_id=document["account_id"],
        version=document["version"],
        balance=from_decimal128(document["balance"]),
        event_ids=event_ids,
        command_id=command_id,
    )


def command_record_to_document(record: CommandRecord) -> Document:
    return {
        "_id": record.command_id,
        "command_type": record.command_type,
        "payload_hash": record.payload_hash,
        "result": _result_to_document(record.result),
        contract.CommandRecordField.RECORDED_AT: record.recorded_at,
    }


def command_record_from_document(document: Document) -> CommandRecord:
    recorded_at: datetime = document[contract.CommandRecordField.RECORDED_AT]
    return CommandRecord(
        command_id=document["_id"],
        command_type=document["command_type"],
        payload_hash=document["payload_hash"],
        result=_result_from_document(document["result"], document["_id"]),
        recorded_at=recorded_at,
    )


# --- the unit of work ---------------------------------------------------------------------------

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
        return account_from_document(document)


class MongoCommandLog(CommandLog):
    def __init__(self, database: MongoDatabase, session: ClientSession) -> None:
        super().__init__()
        self._collection = database[contract.COMMANDS_COLLECTION]
        self._session = session

    def get(self, command_id: str) -> CommandRecord | None:
        with translated_driver_errors("load command record"):
            document = self._collection.find_one({"_id": command_id}, session=self._session)
        return None if document is None else command_record_from_document(document)


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
                outbox = [event_to_outbox(event, command_id, command_id) for event in commit.events]
                self._database[contract.OUTBOX_COLLECTION].insert_many(outbox, session=session)
            if commit.record is not None:
                self._database[contract.COMMANDS_COLLECTION].insert_one(
                    command_record_to_document(commit.record), session=session
                )
            session.commit_transaction()

    def _write_account(self, change: AccountChange, session: ClientSession) -> None:
        """Insert a new account; update a loaded one only if it is still at the version read."""
        accounts = self._database[contract.ACCOUNTS_COLLECTION]
        document = account_to_document(change.account)
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
