"""Unit: start-up refuses a MongoDB that is not a replica set, with a message saying what to do."""

from __future__ import annotations

from typing import Any

import pytest

from accounts_write.adapters.replica_set import NotAReplicaSetError, require_replica_set


class FakeAdmin:
    def __init__(self, hello: dict[str, Any]) -> None:
        self.hello = hello

    def command(self, name: str) -> dict[str, Any]:
        assert name == "hello"
        return self.hello


class FakeClient:
    def __init__(self, hello: dict[str, Any]) -> None:
        self.admin = FakeAdmin(hello)


def test_replica_set_member_passes_with_its_set_name() -> None:
    assert require_replica_set(FakeClient({"isWritablePrimary": True, "setName": "rs0"})) == "rs0"  # type: ignore[arg-type]


def test_standalone_server_is_refused_with_instructions() -> None:
    with pytest.raises(NotAReplicaSetError, match="--replSet"):
        require_replica_set(FakeClient({"isWritablePrimary": True}))  # type: ignore[arg-type]
