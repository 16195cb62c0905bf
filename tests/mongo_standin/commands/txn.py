"""Stand-in commands: commitTransaction and abortTransaction."""

from __future__ import annotations

from typing import Any

from tests.mongo_standin.commands import Context, command
from tests.mongo_standin.errors import CommandError
from tests.mongo_standin.transactions import Transaction, no_such_transaction


@command("commitTransaction", fields=("recoveryToken",), admin_only=True)
def commit_transaction(ctx: Context) -> dict[str, Any]:
    txn, session = ctx.txn, ctx.session
    assert txn is not None and session is not None
    if txn.state == Transaction.ACTIVE:
        ctx.engine.commit(txn)
    elif txn.state == Transaction.ABORTED:
        raise no_such_transaction(session, txn.number)
    return {"ok": 1.0}  # committed already: a retried commit succeeds again


@command("abortTransaction", fields=("recoveryToken",), admin_only=True)
def abort_transaction(ctx: Context) -> dict[str, Any]:
    txn, session = ctx.txn, ctx.session
    assert txn is not None and session is not None
    if txn.state == Transaction.COMMITTED:
        raise CommandError("Cannot abort a committed transaction", code=256)
    if txn.state == Transaction.ABORTED:
        raise no_such_transaction(session, txn.number)
    ctx.engine.abort(txn)
    return {"ok": 1.0}
