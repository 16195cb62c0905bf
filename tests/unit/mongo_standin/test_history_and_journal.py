"""Unit tests: change-event history bounds, resume tokens, and the journal's torn-tail recovery."""

from __future__ import annotations

from pathlib import Path

import pytest
from bson import Timestamp

from tests.mongo_standin.errors import ChangeStreamHistoryLostError, InvalidResumeTokenError
from tests.mongo_standin.history import ChangeHistory, make_token, parse_token
from tests.mongo_standin.journal import Journal


def _event(number: int) -> dict:
    return {"_id": make_token(Timestamp(100, number), number), "clusterTime": Timestamp(100, number)}


def test_token_round_trips() -> None:
    assert parse_token(make_token(Timestamp(7, 3), 42, invalidate=True)) == (Timestamp(7, 3), 42, True)


def test_malformed_token_is_refused() -> None:
    with pytest.raises(InvalidResumeTokenError):
        parse_token({"_data": "zz"})


def test_position_that_fell_out_of_the_history_is_lost() -> None:
    history = ChangeHistory(capacity=3)
    for number in range(1, 6):
        history.append(_event(number), number)
    history.check_position(2)  # event 3 is still kept
    with pytest.raises(ChangeStreamHistoryLostError):
        history.check_position(1)


def test_journal_cuts_a_torn_tail(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.append({"seq": 1})
    journal.append({"seq": 2})
    journal.close()
    data = (tmp_path / "journal.bson").read_bytes()
    (tmp_path / "journal.bson").write_bytes(data[:-3])
    reopened = Journal(str(tmp_path))
    assert [r["seq"] for r in reopened.replay()] == [1]
    reopened.append({"seq": 3})
    reopened.close()
    assert [r["seq"] for r in Journal(str(tmp_path)).replay()] == [1, 3]
