"""Integration tests: stand-in durability across kill/restart and change-stream history limits.

These need a process the test can kill and restart, so `standin_factory` skips them when MONGO_URL
points at an external server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.client_session import ClientSession
from pymongo.errors import OperationFailure

from tests.mongo_standin.process import StandinProcess

from .deadlines import collect_changes, next_change

pytestmark = [pytest.mark.timeout(60), pytest.mark.slow]

CHANGE_STREAM_HISTORY_LOST = 286
AWAIT_MS = 200

StandinFactory = Callable[..., StandinProcess]


@pytest.fixture
def clients() -> Iterator[Callable[[StandinProcess], MongoClient]]:
    """Opens clients to stand-ins and closes them all after the test."""
    opened: list[MongoClient] = []

    def open_client(standin: StandinProcess) -> MongoClient:
        client = standin.client()
        opened.append(client)
        return client

    try:
        yield open_client
    finally:
        for client in opened:
            client.close()


def _crash_and_restart(standin: StandinProcess) -> None:
    standin.kill()
    standin.start()


def test_acknowledged_writes_survive_a_kill_with_a_dbpath(
    standin_factory: StandinFactory, clients: Callable[[StandinProcess], MongoClient], tmp_path: Path
) -> None:
    standin = standin_factory(dbpath=str(tmp_path / "db"))
    coll = clients(standin)["app"]["items"]
    coll.insert_many([{"_id": i} for i in range(10)])
    coll.update_one({"_id": 3}, {"$set": {"touched": True}})
    coll.delete_one({"_id": 9})
    _crash_and_restart(standin)
    after = clients(standin)["app"]["items"]
    assert [doc["_id"] for doc in after.find().sort("_id")] == list(range(9))
    assert after.find_one({"_id": 3}) == {"_id": 3, "touched": True}


def test_committed_transaction_survives_a_kill_with_a_dbpath(
    standin_factory: StandinFactory, clients: Callable[[StandinProcess], MongoClient], tmp_path: Path
) -> None:
    standin = standin_factory(dbpath=str(tmp_path / "db"))
    client = clients(standin)
    client["app"].create_collection("accounts")
    client["app"].create_collection("ledger")

    def transfer(session: ClientSession) -> None:
        client["app"]["accounts"].insert_one({"_id": "a", "balance": 5}, session=session)
        client["app"]["ledger"].insert_one({"_id": 1, "amount": 5}, session=session)

    with client.start_session() as session:
        session.with_transaction(transfer)
    _crash_and_restart(standin)
    after = clients(standin)["app"]
    assert after["accounts"].find_one({"_id": "a"}) == {"_id": "a", "balance": 5}
    assert after["ledger"].find_one({"_id": 1}) == {"_id": 1, "amount": 5}


def test_unique_index_survives_a_kill_with_a_dbpath(
    standin_factory: StandinFactory, clients: Callable[[StandinProcess], MongoClient], tmp_path: Path
) -> None:
    standin = standin_factory(dbpath=str(tmp_path / "db"))
    clients(standin)["app"]["items"].create_index("email", unique=True)
    _crash_and_restart(standin)
    assert clients(standin)["app"]["items"].index_information()["email_1"]["unique"] is True


def test_writes_survive_a_clean_restart_with_a_dbpath(
    standin_factory: StandinFactory, clients: Callable[[StandinProcess], MongoClient], tmp_path: Path
) -> None:
    standin = standin_factory(dbpath=str(tmp_path / "db"))
    clients(standin)["app"]["items"].insert_one({"_id": 1})
    standin.restart()
    assert clients(standin)["app"]["items"].find_one({"_id": 1}) == {"_id": 1}


def test_standin_without_a_dbpath_loses_its_data_on_restart(
    standin_factory: StandinFactory, clients: Callable[[StandinProcess], MongoClient]
) -> None:
    standin = standin_factory()
    clients(standin)["app"]["items"].insert_one({"_id": 1})
    standin.restart()
    assert clients(standin)["app"]["items"].count_documents({}) == 0


def test_stored_resume_token_resumes_after_a_kill_and_restart(
    standin_factory: StandinFactory, clients: Callable[[StandinProcess], MongoClient], tmp_path: Path
) -> None:
    standin = standin_factory(dbpath=str(tmp_path / "db"))
    coll = clients(standin)["app"]["items"]
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        for i in range(1, 4):
            coll.insert_one({"_id": i})
        token = next_change(stream)["_id"]
    _crash_and_restart(standin)
    after = clients(standin)["app"]["items"]
    after.insert_one({"_id": 4})
    with after.watch(max_await_time_ms=AWAIT_MS, resume_after=token) as stream:
        changes = collect_changes(stream, 3)
    assert [change["documentKey"]["_id"] for change in changes] == [2, 3, 4]


def _watch_from(client: MongoClient, token: Any) -> Any:
    with client["app"]["items"].watch(max_await_time_ms=AWAIT_MS, resume_after=token) as stream:
        return stream.try_next()


def test_resuming_from_a_token_older_than_the_history_fails_with_history_lost(
    standin_factory: StandinFactory, clients: Callable[[StandinProcess], MongoClient]
) -> None:
    history_size = 5
    standin = standin_factory(history_size=history_size)
    client = clients(standin)
    coll = client["app"]["items"]
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        coll.insert_one({"_id": 0})
        token = next_change(stream)["_id"]
    for i in range(1, history_size * 3):
        coll.insert_one({"_id": i})
    with pytest.raises(OperationFailure) as failure:
        _watch_from(client, token)
    assert failure.value.code == CHANGE_STREAM_HISTORY_LOST


def test_resuming_from_a_token_within_the_history_still_works(
    standin_factory: StandinFactory, clients: Callable[[StandinProcess], MongoClient]
) -> None:
    history_size = 50
    standin = standin_factory(history_size=history_size)
    client = clients(standin)
    coll = client["app"]["items"]
    with coll.watch(max_await_time_ms=AWAIT_MS) as stream:
        coll.insert_one({"_id": 0})
        token = next_change(stream)["_id"]
    coll.insert_one({"_id": 1})
    change = _watch_from(client, token)
    assert change is not None
    assert change["documentKey"] == {"_id": 1}


@pytest.mark.parametrize("stop", ["terminate", "kill"])
def test_collection_created_inside_a_transaction_survives_a_restart(
    standin_factory: StandinFactory,
    clients: Callable[[StandinProcess], MongoClient],
    tmp_path: Path,
    stop: str,
) -> None:
    # Regression: the implicit create was never journaled, so replay failed with KeyError.
    standin = standin_factory(dbpath=str(tmp_path / "db"))
    client = clients(standin)
    with client.start_session() as session, session.start_transaction():
        client["fresh_db"]["fresh_coll"].insert_one({"_id": 1}, session=session)
    standin.stop() if stop == "terminate" else standin.kill()
    standin.start()
    after = clients(standin)["fresh_db"]
    assert after.list_collection_names() == ["fresh_coll"]
    assert after["fresh_coll"].find_one({"_id": 1}) == {"_id": 1}


def test_renames_index_changes_and_image_settings_survive_a_kill(
    standin_factory: StandinFactory, clients: Callable[[StandinProcess], MongoClient], tmp_path: Path
) -> None:
    standin = standin_factory(dbpath=str(tmp_path / "db"))
    db = clients(standin)["app"]
    db["items"].create_index("x", name="x_1")
    db["items"].insert_one({"_id": 1, "x": 1})
    db.command("collMod", "items", index={"name": "x_1", "hidden": True})
    db.command("collMod", "items", changeStreamPreAndPostImages={"enabled": True})
    db["items"].rename("renamed")
    _crash_and_restart(standin)
    after = clients(standin)["app"]
    assert after.list_collection_names() == ["renamed"]
    assert after["renamed"].index_information()["x_1"]["hidden"] is True
    options = after["renamed"].options()
    assert options["changeStreamPreAndPostImages"] == {"enabled": True}
