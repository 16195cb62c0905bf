"""Integration tests: handshake, server identity and rejection of unknown commands/options."""

from __future__ import annotations

import pytest
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import OperationFailure
from pymongo.uri_parser import parse_uri

pytestmark = pytest.mark.timeout(30)

COMMAND_NOT_FOUND = 59
BAD_VALUE = 2
FAILED_TO_PARSE = 9


def _seed_addresses(mongo_url: str) -> set[str]:
    return {f"{host}:{port}" for host, port in parse_uri(mongo_url)["nodelist"]}


def _replica_set_name(mongo_url: str) -> str:
    return str(parse_uri(mongo_url)["options"].get("replicaset", "rs0"))


def test_hello_reports_a_writable_primary(mongo_client: MongoClient) -> None:
    reply = mongo_client.admin.command("hello")
    assert reply["isWritablePrimary"] is True


def test_hello_reports_the_replica_set_name(mongo_client: MongoClient, mongo_url: str) -> None:
    reply = mongo_client.admin.command("hello")
    assert reply["setName"] == _replica_set_name(mongo_url)


def test_hello_lists_the_dialled_address_among_hosts(mongo_client: MongoClient, mongo_url: str) -> None:
    reply = mongo_client.admin.command("hello")
    assert _seed_addresses(mongo_url) & set(reply["hosts"])


def test_hello_advertises_wire_version_9_or_later(mongo_client: MongoClient) -> None:
    reply = mongo_client.admin.command("hello")
    assert reply["maxWireVersion"] >= 9
    assert reply["minWireVersion"] <= reply["maxWireVersion"]


def test_hello_advertises_logical_sessions(mongo_client: MongoClient) -> None:
    reply = mongo_client.admin.command("hello")
    assert isinstance(reply["logicalSessionTimeoutMinutes"], int)
    assert reply["logicalSessionTimeoutMinutes"] > 0


def test_driver_discovers_a_replica_set_primary(mongo_client: MongoClient, mongo_url: str) -> None:
    mongo_client.admin.command("ping")
    assert mongo_client.primary is not None
    assert f"{mongo_client.primary[0]}:{mongo_client.primary[1]}" in _seed_addresses(mongo_url)


def test_ping_answers_ok(mongo_client: MongoClient) -> None:
    assert mongo_client.admin.command("ping")["ok"] == 1


def test_build_info_reports_a_version(mongo_client: MongoClient) -> None:
    reply = mongo_client.admin.command("buildInfo")
    assert isinstance(reply["version"], str)
    assert reply["versionArray"][:2] == [int(part) for part in reply["version"].split(".")[:2]]


def test_unknown_command_fails_with_command_not_found(mongo_client: MongoClient) -> None:
    with pytest.raises(OperationFailure) as failure:
        mongo_client.admin.command("noSuchCommandForSure")
    assert failure.value.code == COMMAND_NOT_FOUND


def test_unknown_query_operator_fails_with_bad_value(coll: Collection) -> None:
    coll.insert_one({"a": 1})
    with pytest.raises(OperationFailure) as failure:
        coll.find_one({"a": {"$foo": 1}})
    assert failure.value.code == BAD_VALUE


def test_unknown_top_level_query_operator_fails_with_bad_value(coll: Collection) -> None:
    coll.insert_one({"a": 1})
    with pytest.raises(OperationFailure) as failure:
        coll.find_one({"$foo": [{"a": 1}]})
    assert failure.value.code == BAD_VALUE


def test_unknown_update_operator_fails_with_failed_to_parse(coll: Collection) -> None:
    coll.insert_one({"_id": 1, "a": 1})
    with pytest.raises(OperationFailure) as failure:
        coll.update_one({"_id": 1}, {"$foo": {"a": 2}})
    assert failure.value.code == FAILED_TO_PARSE
    assert coll.find_one({"_id": 1}) == {"_id": 1, "a": 1}


def test_unknown_aggregation_stage_fails(coll: Collection) -> None:
    coll.insert_one({"a": 1})
    with pytest.raises(OperationFailure):
        list(coll.aggregate([{"$foo": {}}]))


def test_unknown_aggregation_expression_operator_fails(coll: Collection) -> None:
    coll.insert_one({"a": 1})
    with pytest.raises(OperationFailure):
        list(coll.aggregate([{"$project": {"b": {"$noSuchExpression": "$a"}}}]))


def test_unknown_field_in_a_find_command_fails(mongo_db: Database) -> None:
    mongo_db["items"].insert_one({"a": 1})
    with pytest.raises(OperationFailure):
        mongo_db.command("find", "items", noSuchOption=True)


def test_unknown_field_in_an_insert_command_fails(mongo_db: Database) -> None:
    with pytest.raises(OperationFailure):
        mongo_db.command("insert", "items", documents=[{"a": 1}], noSuchOption=True)
    assert mongo_db["items"].count_documents({}) == 0
