"""Delivery: ``manage.py pruneoutbox --older-than DAYS [--dry-run] [--force]``."""

from __future__ import annotations

import getpass
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from pymongo.errors import PyMongoError

from accounts_write.contract import COMMANDS_COLLECTION
from config.mongo import write_database
from projector import prune
from projector.bootstrap import outbox_store


class Command(BaseCommand):
    help = (
        "Delete command records and projected (done or skipped) outbox entries older than DAYS. "
        "Outbox entries go only up to the last completed full replay (replay --all), so a replay "
        "can still rebuild every account: pruned history is carried over from the live tables."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=float, required=True, metavar="DAYS", help="Age in days.")
        parser.add_argument("--dry-run", action="store_true", help="Say what would go; delete nothing.")
        parser.add_argument(
            "--force", action="store_true", help="Prune the outbox even though no full replay has completed."
        )
        parser.add_argument("--by", default=None, help="Who prunes (default: the OS user), for the record.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["older_than"] <= 0:
            raise CommandError("--older-than must be a positive number of days")
        outbox, commands = outbox_store(), write_database()[COMMANDS_COLLECTION]
        try:
            pruning = prune.plan(
                outbox, commands, older_than=timedelta(days=options["older_than"]), force=options["force"]
            )
            self._describe(pruning, options["dry_run"])
            if options["dry_run"]:
                return
            record = prune.execute(outbox, commands, pruning, by=options["by"] or getpass.getuser())
        except PyMongoError as exc:
            raise CommandError(f"MongoDB is unavailable: {exc}", returncode=2) from exc
        except DatabaseError as exc:
            raise CommandError(f"the read database failed: {exc}", returncode=2) from exc
        done = f"deleted {record.outbox_deleted} outbox entries and {record.commands_deleted} command records"
        self.stdout.write(self.style.SUCCESS(done))

    def _describe(self, pruning: prune.PrunePlan, dry_run: bool) -> None:
        verb = "would delete" if dry_run else "deleting"
        self.stdout.write(f"cutoff         {pruning.cutoff:%Y-%m-%d %H:%M:%S}Z")
        self.stdout.write(
            f"commands       {verb} {pruning.commands} command records recorded before the cutoff "
            "(repeating one of those commands would execute it again)"
        )
        if pruning.boundary is None:
            self.stdout.write(self.style.WARNING(f"outbox         nothing pruned: {pruning.why_outbox_kept}"))
            return
        entries, accounts = pruning.outbox_entries, len(pruning.accounts)
        self.stdout.write(
            f"outbox         {verb} {entries} done or skipped entries of {accounts} "
            f"account(s) that occurred before {pruning.boundary:%Y-%m-%d} (the earlier of the cutoff's day "
            "and the last full replay's day)"
        )
        if pruning.kept_out_of_order:
            self.stdout.write(
                f"               keeping {pruning.kept_out_of_order} of them: only a prefix of an account's "
                "versions can be pruned"
            )
        self.stdout.write(
            "               a replay will seed those accounts from the live tables as of the pruned version "
            "and carry the daily totals of the pruned days over"
        )
