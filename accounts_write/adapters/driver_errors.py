"""Adapters: translate pymongo errors into the application's errors (handlers never see pymongo)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from pymongo.errors import ConnectionFailure, DuplicateKeyError, OperationFailure, PyMongoError

from accounts_write.application.errors import (
    TransactionConflictError,
    WriteStoreError,
    WriteStoreUnavailableError,
)

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
