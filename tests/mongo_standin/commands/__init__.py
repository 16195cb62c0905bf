"""Stand-in commands: the dispatch table, the per-command context, and field validation."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.mongo_standin.engine import WriteUnit
from tests.mongo_standin.errors import BadValueError, UnknownFieldError

if TYPE_CHECKING:
    from tests.mongo_standin.engine import Engine
    from tests.mongo_standin.server import Connection
    from tests.mongo_standin.transactions import Session, Transaction

Handler = Callable[["Context"], dict[str, Any]]

# Fields any command may carry: session, transaction, concerns, routing and cluster-time gossip.
GENERIC_FIELDS = frozenset(
    {
        "$db",
        "lsid",
        "txnNumber",
        "autocommit",
        "startTransaction",
        "readConcern",
        "writeConcern",
        "$readPreference",
        "$clusterTime",
        "apiVersion",
        "apiStrict",
        "apiDeprecationErrors",
        "maxTimeMS",
        "comment",
        "$client",
    }
)


@dataclass
class CommandSpec:
    name: str
    handler: Handler
    fields: frozenset[str]
    retryable_write: bool = False
    in_transaction: bool = False
    admin_only: bool = False


COMMANDS: dict[str, CommandSpec] = {}


def command(
    *names: str,
    fields: tuple[str, ...] = (),
    retryable_write: bool = False,
    in_transaction: bool = False,
    admin_only: bool = False,
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for name in names:
            COMMANDS[name] = CommandSpec(
                name, handler, frozenset(fields), retryable_write, in_transaction, admin_only
            )
        return handler

    return register


@dataclass
class Context:
    engine: Engine
    conn: Connection
    name: str
    body: dict[str, Any]
    db: str
    session: Session | None = None
    txn: Transaction | None = None
    unit: WriteUnit = field(default_factory=WriteUnit)
    started: float = field(default_factory=time.monotonic)

    @property
    def target(self) -> Any:
        return self.body[self.name]

    def collection_name(self) -> str:
        from tests.mongo_standin.storage import check_collection_name

        return check_collection_name(self.body[self.name])

    @functools.cached_property
    def namespace(self) -> tuple[str, str]:
        """(db, collection), checked once per command: handlers ask for it many times."""
        return (self.db, self.collection_name())

    def deadline(self, default_seconds: float = 60.0) -> float:
        max_time = self.body.get("maxTimeMS")
        seconds = max_time / 1000 if max_time else default_seconds
        return self.started + seconds

    def option(self, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        value = self.body.get(name, default)
        if value is not default and not isinstance(value, kind):
            raise BadValueError(
                f"BSON field '{self.name}.{name}' is the wrong type '{type(value).__name__}'", code=14
            )
        return value


def check_fields(spec: CommandSpec, body: dict[str, Any]) -> None:
    if "*" in spec.fields:
        return  # the command takes arbitrary fields (currentOp's filter)
    for key in body:
        if key != spec.name and key not in spec.fields and key not in GENERIC_FIELDS:
            raise UnknownFieldError(f"BSON field '{spec.name}.{key}' is an unknown field.")


def check_sub_fields(where: str, doc: dict[str, Any], allowed: frozenset[str]) -> None:
    for key in doc:
        if key not in allowed:
            raise UnknownFieldError(f"BSON field '{where}.{key}' is an unknown field.")


def load_all() -> None:
    """Import the command modules so they register themselves."""
    from tests.mongo_standin.commands import (  # noqa: F401
        admin,
        changestreams,
        ddl,
        explain,
        reads,
        server_info,
        sessions,
        txn,
        writes,
    )
