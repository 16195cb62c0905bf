"""Stand-in commands: helpers shared by read and write commands (matching, lock waits, hints)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar

from tests.mongo_standin.commands import Context
from tests.mongo_standin.errors import BadValueError, NotImplementedByStandinError
from tests.mongo_standin.locks import TxnLockBusy
from tests.mongo_standin.oplog import is_oplog, oplog_entries
from tests.mongo_standin.query import Predicate, compile_filter
from tests.mongo_standin.sorting import sort_documents

T = TypeVar("T")


def matching(
    ctx: Context, spec: Any, sort: Any = None, predicate: Predicate | None = None
) -> list[dict[str, Any]]:
    """Documents matching ``spec`` (``predicate`` is its compiled form, if the caller has it)."""
    if spec is not None and not isinstance(spec, dict):
        raise BadValueError("filter must be an object", code=14)
    if is_oplog(*ctx.namespace):
        match = predicate or compile_filter(spec)
        docs = [entry for entry in oplog_entries(ctx.engine.history) if match(entry)]
        return sort_documents(docs, sort) if sort else docs
    docs = ctx.engine.read(ctx.txn, ctx.namespace, spec, predicate)
    return sort_documents(docs, sort) if sort else docs


def retry_locked(ctx: Context, action: Callable[[], T]) -> T:
    """Writes outside a transaction wait for a transaction holding the document, as mongod does."""
    while True:
        try:
            return action()
        except TxnLockBusy as busy:
            ctx.engine.wait_for(busy.txn, ctx.deadline())


def check_hint(ctx: Context, hint: Any, spec: Any = None) -> str | None:
    """The hinted index's name ("$natural" for a collection scan), or None without a hint.

    As in mongod, a hint must name an index the planner may use for this filter: not a hidden
    index, and a partial index only when the filter implies its partialFilterExpression.
    """
    if hint is None:
        return None
    if isinstance(hint, dict) and hint in ({"$natural": 1}, {"$natural": -1}):
        return "$natural"
    coll = ctx.engine.collection(*ctx.namespace, ctx.txn)
    if coll is not None and (hint == "_id_" or hint == {"_id": 1}):
        return "_id_"
    for index in coll.indexes.values() if coll is not None else []:
        if hint in (index.spec.name, index.spec.key) and index.spec.usable_for(
            spec if isinstance(spec, dict) else None
        ):
            return index.spec.name
    raise BadValueError(
        "error processing query: planner returned error :: caused by :: hint provided does not "
        "correspond to an existing index"
    )


def refuse(ctx: Context, *options: str, where: dict[str, Any] | None = None) -> None:
    """Options MongoDB has that the stand-in does not implement: fail instead of ignoring them."""
    source = ctx.body if where is None else where
    for option in options:
        if source.get(option) not in (None, {}, []):
            if option == "collation" and source[option] == {"locale": "simple"}:
                continue
            raise NotImplementedByStandinError(f"{ctx.name} option '{option}'")


def now_millis() -> datetime.datetime:
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
