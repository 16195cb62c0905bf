"""Delivery: ``manage.py syncstatus`` — the facts of ``GET /api/sync/status``, for a terminal."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from projector.api import SyncStatusOut
from projector.bootstrap import outbox_store
from projector.status import SyncStatus, sync_status


def _age(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.1f} s ago"


class Command(BaseCommand):
    help = (
        "Is the read side keeping up? Projector leader and heartbeat, checkpoint age, lag, outbox "
        "backlog per status, dead letters, parked events, accounts needing attention, last reconcile "
        "and replay. The same facts as GET /api/sync/status."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="The JSON body of GET /api/sync/status.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            status = sync_status(outbox_store())
        except DatabaseError as exc:
            raise CommandError(f"the read database cannot be reached: {exc}", returncode=2) from exc
        if options["json"]:
            body = SyncStatusOut.model_validate(asdict(status)).model_dump(mode="json")
            self.stdout.write(json.dumps(body, indent=2))
            return
        for line in describe(status):
            self.stdout.write(line)


def describe(status: SyncStatus) -> list[str]:
    projector, checkpoint, outbox = status.projector, status.checkpoint, status.outbox
    leader = f"alive, led by {projector.leader} (heartbeat {_age(projector.heartbeat_age_seconds)})"
    lines = [
        f"projector      {leader if projector.alive else 'NOT RUNNING (no live leader lease)'}",
        f"checkpoint     saved {_age(checkpoint.age_seconds)}; {checkpoint.events_applied} events applied; "
        f"last batch lag {_ms(checkpoint.last_batch_lag_ms)}",
    ]
    if outbox.available:
        backlog = (
            ", ".join(f"{name} {count}" for name, count in sorted(outbox.backlog.items()) if count) or "empty"
        )
        lines += [
            f"lag            {outbox.lag_seconds or 0:.1f} s (oldest entry not yet projected)",
            f"backlog        {backlog}",
            f"dead letters   {outbox.dead_letters}  (manage.py deadletters list)",
            f"parked         {outbox.parked}",
        ]
    else:
        lines.append(f"outbox         UNAVAILABLE ({outbox.error})")
    lines.append(
        f"read models    {status.read_models.accounts} accounts, "
        f"{status.read_models.accounts_needing_attention} needing attention"
    )
    reconcile = status.last_reconcile
    lines.append(
        "reconcile      never run"
        if reconcile is None
        else f"reconcile      {_age(reconcile.age_seconds)}: {reconcile.checked} checked, "
        f"{reconcile.drifted} drifted, {reconcile.lagging} lagging, {reconcile.fixed} fixed"
    )
    replay = status.last_replay
    if replay is not None:
        lines.append(
            f"last replay    {replay.state}, started {replay.started_at:%Y-%m-%d %H:%M:%S}Z, "
            f"{replay.events_applied} events applied{'; ' + replay.error if replay.error else ''}"
        )
    return lines


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} ms"
