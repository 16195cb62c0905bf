"""Delivery: ``manage.py replay --all | --account ID | --since ISO-TIME [--dry-run]``."""

from __future__ import annotations

import getpass
import sys
import uuid
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.dateparse import parse_datetime
from pymongo.errors import PyMongoError
from tqdm import tqdm

from projector import replay
from projector.bootstrap import outbox_store
from projector.models import ReplayRun, ReplayState
from projector.outbox import OutboxStore


def moment(value: str) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        raise CommandError(f"{value!r} is not an ISO date-time such as 2026-12-01T09:30:00Z")
    if parsed.tzinfo is None:
        raise CommandError(f"{value!r} has no time zone; add Z or an offset such as +01:00")
    return parsed


def account(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not an account id (a UUID)") from exc


class Command(BaseCommand):
    help = (
        "Rebuild read models from the outbox events kept in MongoDB. --all builds everything into "
        "shadow tables while the live ones keep serving reads, then swaps them in atomically "
        "(resumable: run it again after a crash). --account and --since re-project accounts in place."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--all", action="store_true", help="Every read model (blue/green).")
        scope.add_argument("--account", type=str, metavar="ID", help="One account, in place.")
        scope.add_argument(
            "--since", type=str, metavar="ISO-TIME", help="Every account with an event at or after this time."
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what would be done; change nothing.")
        parser.add_argument("--batch-size", type=int, default=1000, help="Events per shadow transaction.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar, even on a terminal.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        outbox = outbox_store()
        try:
            if options["all"]:
                self._all(outbox, options)
            elif options["account"]:
                self._accounts(outbox, [account(options["account"])], options)
            else:
                self._accounts(outbox, outbox.aggregates_since(moment(options["since"])), options)
        except replay.ReplayBusyError as exc:
            raise CommandError(str(exc)) from exc
        except PyMongoError as exc:
            raise CommandError(f"MongoDB is unavailable: {exc}", returncode=2) from exc
        except DatabaseError as exc:
            raise CommandError(f"the read database failed: {exc}", returncode=2) from exc

    def _bar(self, total: int, options: dict[str, Any], unit: str, initial: int = 0) -> tqdm[Any]:
        """Counts and rate on a terminal (stderr), nothing when piped or with --no-progress."""
        quiet = options["no_progress"] or not sys.stderr.isatty()
        return tqdm(total=total, initial=initial, unit=unit, disable=quiet, smoothing=0.1, file=sys.stderr)

    def _all(self, outbox: OutboxStore, options: dict[str, Any]) -> None:
        total = outbox.count_all()
        pending = ReplayRun.objects.filter(state__in=[ReplayState.BUILDING, ReplayState.CATCHING_UP]).first()
        if options["dry_run"]:
            if pending is not None:
                self.stdout.write(
                    f"would resume replay {pending.pk} ({pending.state}, {pending.events_seen} of about "
                    f"{total} events read), then swap the shadow tables in"
                )
            else:
                self.stdout.write(
                    f"would rebuild every read model from {total} outbox events into shadow tables, "
                    "catch up with the live projector, then swap them in atomically"
                )
            return
        if pending is not None:
            self.stdout.write(f"resuming replay {pending.pk} ({pending.state})")
        with self._bar(total, options, "events", initial=pending.events_seen if pending else 0) as bar:
            run = replay.full_replay(
                outbox, started_by=getpass.getuser(), batch_size=options["batch_size"], progress=bar.update
            )
        seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"replay {run.pk} done: {run.events_seen} events read, {run.events_applied} applied, "
                f"swapped in after {seconds:.1f} s"
            )
        )

    def _accounts(self, outbox: OutboxStore, ids: list[uuid.UUID], options: dict[str, Any]) -> None:
        if options["dry_run"]:
            events = len(outbox.history(ids)) if ids else 0
            self.stdout.write(f"would re-project {len(ids)} account(s) in place from {events} outbox events")
            return
        if not ids:
            self.stdout.write("no account to re-project")
            return
        with self._bar(len(ids), options, "accounts") as bar:
            report = replay.rebuild_accounts(outbox, ids, progress=lambda _events: bar.update(1))
        self.stdout.write(
            self.style.SUCCESS(
                f"re-projected {report.accounts} account(s): {report.events} events, {report.applied} applied"
                + (f", {report.failed} not applicable (see manage.py deadletters)" if report.failed else "")
            )
        )
