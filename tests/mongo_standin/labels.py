"""Stand-in commands: the error labels mongod attaches to a failed reply (its error_labels rules)."""

from __future__ import annotations

from typing import Any

from tests.mongo_standin.errors import in_category

TXN_CONTROL = ("commitTransaction", "abortTransaction")
# WriteConflict, LockTimeout, PreparedTransactionInProgress, StaleDbVersion, ShardCannotRefresh...
TRANSIENT_CODES = frozenset({24, 112, 249, 267, 343})
# RetryChangeStream and FailedToSatisfyReadPreference, beside the retriable and network errors.
RESUMABLE_CHANGE_STREAM_CODES = frozenset({133, 234})


def error_labels(
    name: str, body: dict[str, Any], code: int | None, wc_code: int | None, change_stream: bool = False
) -> list[str]:
    """Labels for a reply failing with ``code`` and/or a write-concern error ``wc_code``."""
    labels: list[str] = []
    has_txn_number = "txnNumber" in body
    in_transaction = "autocommit" in body  # only transaction statements carry it (always false)
    commit_or_abort = name in TXN_CONTROL
    retryable_write = has_txn_number and not in_transaction
    if (retryable_write or (has_txn_number and in_transaction and commit_or_abort)) and (
        in_category(code, "RetriableError") or in_category(wc_code, "RetriableError")
    ):
        labels.append("RetryableWriteError")
    if (
        code is not None
        and has_txn_number
        and in_transaction
        and _transient(code, wc_code is not None, commit_or_abort)
    ):
        labels.append("TransientTransactionError")
    if in_category(code, "NonResumableChangeStreamError"):
        labels.append("NonResumableChangeStreamError")
    elif change_stream and code is not None and not labels and _resumable(code):
        labels.append("ResumableChangeStreamError")
    return labels


def _transient(code: int, has_write_concern_error: bool, commit_or_abort: bool) -> bool:
    if code in TRANSIENT_CODES or any(
        in_category(code, category) for category in ("SnapshotError", "NeedRetargettingError")
    ):
        return True
    if commit_or_abort:
        # Retrying the whole transaction is safe only if nothing can have been committed.
        return code == 251 and not has_write_concern_error
    return code == 251 or in_category(code, "RetriableError")


def _resumable(code: int) -> bool:
    return (
        in_category(code, "RetriableError")
        or in_category(code, "NetworkError")
        or in_category(code, "NeedRetargettingError")
        or code in RESUMABLE_CHANGE_STREAM_CODES
    )
