"""Application: errors of command handling that are not business rules (lookup, storage, retries)."""

from __future__ import annotations

from uuid import UUID


class ApplicationError(Exception):
    """A command could not be handled for a reason outside the domain's rules."""


class AccountNotFoundError(ApplicationError):
    def __init__(self, account_id: UUID) -> None:
        super().__init__(f"account {account_id} does not exist")
        self.account_id = account_id


class IdempotencyKeyReusedError(ApplicationError):
    """The command id was already used for a different command or payload."""

    def __init__(self, command_id: str) -> None:
        super().__init__(
            f"idempotency key {command_id!r} was already used for a different request; "
            "use a new key for a new request"
        )
        self.command_id = command_id


class TransactionConflictError(ApplicationError):
    """A transient clash with a concurrent writer (write conflict, stale version): retry the command."""


class ConcurrencyConflictError(ApplicationError):
    """The command kept clashing with concurrent writers and ran out of attempts."""


class WriteStoreError(ApplicationError):
    """The write store failed the command (logged by the adapter with the driver's error)."""


class WriteStoreUnavailableError(WriteStoreError):
    """The write store cannot be reached."""
