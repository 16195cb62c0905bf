"""Delivery: ``manage.py reconcile [--account ID] [--json] [--fix]``: exit 0 clean, 1 drift, 2 failed."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from pymongo.errors import PyMongoError

from projector.bootstrap import accounts_collection, outbox_store
from projector.management.output import as_json, table
from projector.reconcile import ReconcileResult, reconcile, reconcile_and_fix, store_report


class Command(BaseCommand):
    help = (
        "Compare the write side (MongoDB accounts) with the read side (MySQL): balance, status, "
        "version, owner and the ledger. Accounts with events still in flight are lagging, not "
        "drift. --fix re-projects drifted accounts and checks them again. Exit status: 0 clean, "
        "1 drift found (or left after --fix), 2 could not run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", metavar="ID", help="Check this account only.")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument("--fix", action="store_true", help="Re-project drifted accounts, then re-check.")

    def handle(self, *args: Any, **options: Any) -> None:
        account_id = None
        if options["account"]:
            try:
                account_id = uuid.UUID(options["account"])
            except ValueError as exc:
                raise CommandError(
                    f"{options['account']!r} is not an account id (a UUID)", returncode=2
                ) from exc
        check = reconcile_and_fix if options["fix"] else reconcile
        try:
            result = check(accounts_collection(), outbox_store(), account_id=account_id)
            store_report(result, scope=str(account_id or "all"), trigger="command")
        except PyMongoError as exc:
            raise CommandError(f"could not reconcile: MongoDB is unavailable: {exc}", returncode=2) from exc
        except DatabaseError as exc:
            raise CommandError(f"could not reconcile: the read database failed: {exc}", returncode=2) from exc
        if options["json"]:
            self.stdout.write(as_json(result.as_json()))
        else:
            self._describe(result)
        if result.drifted:
            accounts = len(result.drifted_accounts)
            raise CommandError(f"{accounts} account(s) drifted", returncode=1)

    def _describe(self, result: ReconcileResult) -> None:
        seconds = ((result.finished_at or result.started_at) - result.started_at).total_seconds()
        counts = (
            f"{len(result.drifted_accounts)} drifted, {len(result.lagging)} lagging, "
            f"{len(result.attention)} needing attention, {len(result.fixed)} fixed"
        )
        self.stdout.write(f"checked {result.checked} account(s) in {seconds:.2f} s: {counts}")
        if result.drifted:
            rows = [(d.account_id, d.field, d.write, d.read) for d in result.drifted]
            self.stdout.write("\n" + table(("ACCOUNT", "FIELD", "WRITE SIDE", "READ SIDE"), rows))
        if result.lagging:
            lagging = [
                (
                    lag.account_id,
                    lag.write_version,
                    lag.read_version,
                    ", ".join(f"{k} {v}" for k, v in lag.waiting.items()),
                )
                for lag in result.lagging
            ]
            self.stdout.write(
                "\nlagging (events not yet projected):\n"
                + table(("ACCOUNT", "WRITE V", "READ V", "WAITING"), lagging)
            )
        if result.fixed:
            self.stdout.write(
                self.style.SUCCESS(f"\nre-projected and now clean: {len(result.fixed)} account(s)")
            )
        if not result.drifted:
            self.stdout.write(self.style.SUCCESS("no drift"))
