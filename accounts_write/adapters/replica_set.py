"""Adapters: check that the write database is a replica set (transactions need one)."""

from __future__ import annotations

from typing import Any

from pymongo import MongoClient


class NotAReplicaSetError(RuntimeError):
    """MongoDB answers but is a standalone server, so it cannot run transactions."""


def require_replica_set(client: MongoClient[dict[str, Any]]) -> str:
    """The replica set's name, or ``NotAReplicaSetError`` explaining what to change."""
    hello = client.admin.command("hello")
    name = hello.get("setName")
    if not name:
        raise NotAReplicaSetError(
            "MongoDB is not a replica set member (its `hello` reply has no setName), so it cannot "
            "run the transactions the write side needs. Start mongod with --replSet and run "
            "rs.initiate(), then put ?replicaSet=<name> in MONGO_URL (a single-node set is fine)."
        )
    return str(name)
