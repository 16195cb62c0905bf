"""Adapters: map accounts, events and command records to MongoDB documents and back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from bson.decimal128 import Decimal128

from accounts_write import contract
from accounts_write.application.idempotency import CommandRecord
from accounts_write.application.results import (
    AccountCommandResult,
    AccountState,
    CommandResult,
    TransferResult,
)
from accounts_write.domain import events as ev
from accounts_write.domain.model import AccountStatus, BankAccount
from accounts_write.domain.money import CENT, Currency

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
