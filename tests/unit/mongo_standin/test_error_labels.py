"""Unit tests: the error labels and code names the stand-in gives, by mongod's rules."""

from __future__ import annotations

import pytest

from tests.mongo_standin.errors import RETRYABLE_WRITE_CODES, code_name
from tests.mongo_standin.labels import error_labels

IN_TXN = {"txnNumber": 1, "autocommit": False, "lsid": {}}
RETRYABLE_WRITE = {"txnNumber": 1, "lsid": {}}


@pytest.mark.parametrize(
    ("code", "name"),
    [(91, "ShutdownInProgress"), (267, "PreparedTransactionInProgress"), (280, "ChangeStreamFatalError")],
)
def test_code_names_come_from_mongods_list(code: int, name: str) -> None:
    assert code_name(code) == name


def test_an_unlisted_code_is_a_location_assertion() -> None:
    assert code_name(17419) == "Location17419"


def test_retriable_codes_are_the_retriable_error_category() -> None:
    assert {6, 7, 89, 91, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436} <= RETRYABLE_WRITE_CODES
    assert 112 not in RETRYABLE_WRITE_CODES


def test_no_such_transaction_on_commit_is_transient_unless_a_write_concern_error_came_too() -> None:
    assert error_labels("commitTransaction", IN_TXN, 251, None) == ["TransientTransactionError"]
    assert error_labels("commitTransaction", IN_TXN, 251, 64) == []


def test_retriable_code_on_commit_is_retryable_not_transient() -> None:
    assert error_labels("commitTransaction", IN_TXN, 91, None) == ["RetryableWriteError"]


def test_retriable_code_on_a_transaction_statement_is_transient() -> None:
    assert error_labels("insert", IN_TXN, 91, None) == ["TransientTransactionError"]


def test_a_write_concern_error_alone_never_makes_a_transaction_transient() -> None:
    assert error_labels("insert", IN_TXN, None, 91) == []


def test_retryable_write_gets_retryable_write_error_for_a_retriable_write_concern_error() -> None:
    assert error_labels("insert", RETRYABLE_WRITE, None, 91) == ["RetryableWriteError"]
    assert error_labels("insert", {}, 91, None) == []  # not a retryable write: no txnNumber


def test_change_stream_labels() -> None:
    assert error_labels("getMore", {}, 280, None, change_stream=True) == ["NonResumableChangeStreamError"]
    assert error_labels("getMore", {}, 10107, None, change_stream=True) == ["ResumableChangeStreamError"]
    assert error_labels("getMore", {}, 2, None, change_stream=True) == []
