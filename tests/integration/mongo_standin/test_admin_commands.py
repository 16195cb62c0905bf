"""Integration tests: the admin commands tools and driver test harnesses run against a server."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import OperationFailure

pytestmark = pytest.mark.timeout(60)

WRITE_CONFLICT = 112


@pytest.fixture
def admin(mongo_client: MongoClient) -> Database:
    return mongo_client.admin


def test_get_cmd_line_opts_reports_the_parsed_options(admin: Database) -> None:
    reply = admin.command("getCmdLineOpts")
    assert isinstance(reply["argv"], list)
    assert isinstance(reply["parsed"], dict)


def test_server_status_describes_the_server(admin: Database) -> None:
    status = admin.command("serverStatus")
    assert status["version"] == admin.command("buildInfo")["version"]
    assert status["connections"]["current"] >= 1
    assert status["uptime"] >= 0
    assert "storageEngine" in status


def test_server_status_counts_committed_transactions(mongo_client: MongoClient, mongo_db: Database) -> None:
    mongo_db.create_collection("items")
    before = mongo_client.admin.command("serverStatus")["transactions"]["totalCommitted"]
    with mongo_client.start_session() as session, session.start_transaction():
        mongo_db["items"].insert_one({"_id": 1}, session=session)
    after = mongo_client.admin.command("serverStatus")["transactions"]["totalCommitted"]
    assert after >= before + 1


def test_get_parameter_reports_one_parameter_or_all(admin: Database) -> None:
    one = admin.command("getParameter", 1, featureCompatibilityVersion=1)
    assert "version" in one["featureCompatibilityVersion"]
    everything = admin.command("getParameter", "*")
    assert "featureCompatibilityVersion" in everything


def test_get_parameter_without_a_known_name_fails(admin: Database) -> None:
    with pytest.raises(OperationFailure) as failure:
        admin.command("getParameter", 1, noSuchParameterAnywhere=1)
    assert failure.value.code == 72


def test_repl_set_get_status_shows_one_primary(admin: Database) -> None:
    status = admin.command("replSetGetStatus")
    assert status["set"] == admin.command("hello")["setName"]
    assert status["myState"] == 1
    assert [m["stateStr"] for m in status["members"] if m.get("self")] == ["PRIMARY"]


def test_host_info_and_connection_status(admin: Database) -> None:
    assert admin.command("hostInfo")["system"]["numCores"] >= 1
    assert "authenticatedUsers" in admin.command("connectionStatus")["authInfo"]


def test_get_log_lists_and_returns_the_global_log(admin: Database) -> None:
    assert "global" in admin.command("getLog", "*")["names"]
    log = admin.command("getLog", "global")
    assert isinstance(log["log"], list)
    assert log["totalLinesWritten"] >= len(log["log"])


def test_current_op_shows_the_running_command(admin: Database) -> None:
    ops = admin.command("currentOp")["inprog"]
    assert any("currentOp" in op.get("command", {}) for op in ops)


@pytest.fixture
def accounts(mongo_db: Database) -> Database:
    mongo_db.create_collection("accounts")
    mongo_db["accounts"].insert_one({"_id": "a", "balance": 0})
    return mongo_db


def _abandoned_transaction(client: MongoClient, db: Database) -> Any:
    """A session left with an open transaction holding document "a", as a crashed test leaves it."""
    session = client.start_session()
    session.start_transaction()
    db["accounts"].update_one({"_id": "a"}, {"$inc": {"balance": 1}}, session=session)
    return session


def test_kill_all_sessions_releases_an_abandoned_transaction(
    mongo_client: MongoClient, accounts: Database
) -> None:
    _abandoned_transaction(mongo_client, accounts)
    mongo_client.admin.command("killAllSessions", [])
    with mongo_client.start_session() as session, session.start_transaction():
        accounts["accounts"].update_one({"_id": "a"}, {"$inc": {"balance": 5}}, session=session)
    assert accounts["accounts"].find_one({"_id": "a"}) == {"_id": "a", "balance": 5}


def test_without_kill_sessions_an_abandoned_transaction_conflicts(
    mongo_client: MongoClient, accounts: Database
) -> None:
    abandoned = _abandoned_transaction(mongo_client, accounts)
    try:
        with mongo_client.start_session() as session:
            session.start_transaction()
            with pytest.raises(OperationFailure) as failure:
                accounts["accounts"].update_one({"_id": "a"}, {"$inc": {"balance": 5}}, session=session)
            assert failure.value.code == WRITE_CONFLICT
    finally:
        mongo_client.admin.command("killSessions", [abandoned.session_id])


def test_kill_sessions_aborts_the_named_sessions_transaction(
    mongo_client: MongoClient, accounts: Database
) -> None:
    abandoned = _abandoned_transaction(mongo_client, accounts)
    mongo_client.admin.command("killSessions", [abandoned.session_id])
    accounts["accounts"].update_one({"_id": "a"}, {"$set": {"balance": 7}})
    assert accounts["accounts"].find_one({"_id": "a"}) == {"_id": "a", "balance": 7}


def test_snapshot_session_reads_every_collection_at_its_first_reads_time(
    mongo_client: MongoClient, mongo_db: Database
) -> None:
    mongo_db["items"].insert_one({"_id": 1, "x": 1})
    with mongo_client.start_session(snapshot=True) as session:
        assert mongo_db["items"].find_one({"_id": 1}, session=session) == {"_id": 1, "x": 1}
        mongo_db["items"].update_one({"_id": 1}, {"$set": {"x": 2}})
        mongo_db["items"].insert_one({"_id": 2, "x": 1})
        assert list(mongo_db["items"].find({}, session=session)) == [{"_id": 1, "x": 1}]
        assert mongo_db["items"].distinct("x", session=session) == [1]
    assert mongo_db["items"].find_one({"_id": 1}) == {"_id": 1, "x": 2}


def test_snapshot_session_refuses_writes(mongo_client: MongoClient, mongo_db: Database) -> None:
    with mongo_client.start_session(snapshot=True) as session, pytest.raises(OperationFailure):
        mongo_db["items"].insert_one({"_id": 1}, session=session)


@pytest.mark.slow
def test_oplog_shows_an_insert_after_the_latest_entry_before_it(
    mongo_client: MongoClient, mongo_db: Database
) -> None:
    oplog = mongo_client["local"]["oplog.rs"]
    last = next(oplog.find().sort("$natural", -1).limit(1))["ts"]
    mongo_db["items"].insert_one({"_id": "oplogged", "x": 1})
    entries = list(oplog.find({"ts": {"$gt": last}, "op": "i", "ns": f"{mongo_db.name}.items"}))
    assert [entry["o"] for entry in entries] == [{"_id": "oplogged", "x": 1}]


def test_oplog_cannot_be_written(mongo_client: MongoClient) -> None:
    with pytest.raises(OperationFailure):
        mongo_client["local"]["oplog.rs"].insert_one({"op": "n"})
