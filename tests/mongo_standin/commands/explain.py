"""Stand-in commands: explain for find, reporting whether an index or a collection scan answers it."""

from __future__ import annotations

from typing import Any

from tests.mongo_standin.commands import Context, command
from tests.mongo_standin.commands.common import check_hint, matching
from tests.mongo_standin.errors import NotImplementedByStandinError
from tests.mongo_standin.storage import check_collection_name


@command("explain", fields=("verbosity",))
def explain(ctx: Context) -> dict[str, Any]:
    inner = ctx.target
    if not isinstance(inner, dict) or not inner or next(iter(inner)) != "find":
        raise NotImplementedByStandinError(
            f"explain of {next(iter(inner), None) if isinstance(inner, dict) else inner!r} (only find)"
        )
    name = check_collection_name(inner["find"])
    spec = inner.get("filter") or {}
    sub = Context(ctx.engine, ctx.conn, "find", inner, ctx.db, ctx.session, ctx.txn)
    hinted = check_hint(sub, inner.get("hint"), spec)
    coll = ctx.engine.collection(ctx.db, name)
    keys, index_name = coll.plan(spec) if coll is not None else (None, None)
    if coll is not None and hinted is not None and hinted != index_name:
        # The hinted index answers, scanned whole (or the collection, for $natural).
        keys, index_name = (None, None) if hinted == "$natural" else (coll.index_keys(hinted), hinted)
    returned = len(matching(sub, spec))
    if keys is None:
        plan: dict[str, Any] = {"stage": "COLLSCAN", "filter": spec, "direction": "forward"}
        examined, keys_examined = (coll.live if coll is not None else 0), 0
    else:
        plan = {"stage": "FETCH", "inputStage": {"stage": "IXSCAN", "indexName": index_name}}
        examined = keys_examined = len(keys)
    return {
        "queryPlanner": {
            "namespace": f"{ctx.db}.{name}",
            "parsedQuery": spec,
            "winningPlan": plan,
            "rejectedPlans": [],
        },
        "executionStats": {
            "executionSuccess": True,
            "nReturned": returned,
            "totalDocsExamined": examined,
            "totalKeysExamined": keys_examined,
            "executionStages": plan,
        },
        "ok": 1.0,
    }
