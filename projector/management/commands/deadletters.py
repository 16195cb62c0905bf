"""Delivery: ``manage.py deadletters list|show ID|retry ID…|retry --all|skip ID --reason TEXT``."""

from __future__ import annotations

import getpass
import uuid
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from pymongo.errors import PyMongoError

from accounts_write.contract import OutboxField as F
from projector import deadletters
from projector.bootstrap import outbox_store
from projector.management.output import as_json, table
from projector.outbox import OutboxStore


def event_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not an event id (a UUID)") from exc


class Command(BaseCommand):
    help = (
        "Dead letters: outbox events that failed permanently PROJECTOR_MAX_ATTEMPTS times, with the "
        "later events of their account parked behind them. List, show, retry (after fixing the "
        "cause) or skip (with a reason; the account is flagged as needing attention)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("list", help="Every dead letter, oldest first.")
        show = actions.add_parser("show", help="One entry: payload, attempt history, parked events.")
        show.add_argument("event_id", metavar="ID")
        retry = actions.add_parser("retry", help="Give dead letters fresh attempts and apply them now.")
        retry.add_argument("event_ids", nargs="*", metavar="ID")
        retry.add_argument("--all", action="store_true", help="Retry every dead letter.")
        skip = actions.add_parser("skip", help="Consume a dead letter's version without its effect.")
        skip.add_argument("event_id", metavar="ID")
        skip.add_argument("--reason", required=True, help="Why (kept in the audit trail and on the account).")
        for sub in (retry, skip):
            sub.add_argument("--by", default=None, help="Who does it (default: the OS user).")

    def handle(self, *args: Any, **options: Any) -> None:
        self.as_json = options["json"]
        outbox = outbox_store()
        try:
            getattr(self, f"_{options['action']}")(outbox, options)
        except deadletters.DeadLetterError as exc:
            raise CommandError(str(exc)) from exc
        except PyMongoError as exc:
            raise CommandError(f"MongoDB is unavailable: {exc}", returncode=2) from exc

    def _list(self, outbox: OutboxStore, options: dict[str, Any]) -> None:
        letters = deadletters.list_dead_letters(outbox)
        if self.as_json:
            self.stdout.write(as_json([asdict(letter) for letter in letters]))
            return
        if not letters:
            self.stdout.write("No dead letters.")
            return
        headers = ("EVENT ID", "ACCOUNT", "V", "TYPE", "ATTEMPTS", "DIED AT", "PARKED", "LAST ERROR")
        rows = [
            (
                x.event_id,
                x.aggregate_id,
                x.version,
                x.event_type,
                x.attempts,
                x.died_at,
                x.parked,
                x.last_error,
            )
            for x in letters
        ]
        self.stdout.write(table(headers, rows))
        self.stdout.write(f"\n{len(letters)} dead letter(s). Inspect one: manage.py deadletters show ID")

    def _show(self, outbox: OutboxStore, options: dict[str, Any]) -> None:
        detail = deadletters.show(outbox, event_id(options["event_id"]))
        if self.as_json:
            self.stdout.write(as_json({"entry": detail.document, "parked": detail.parked}))
            return
        doc = detail.document
        for label, key in (
            ("event", "_id"),
            ("account", F.AGGREGATE_ID),
            ("version", F.AGGREGATE_VERSION),
            ("type", F.EVENT_TYPE),
            ("status", F.STATUS),
            ("attempts", F.ATTEMPTS),
            ("died at", F.DIED_AT),
            ("occurred at", F.OCCURRED_AT),
            ("command", F.COMMAND_ID),
            ("last error", F.LAST_ERROR),
        ):
            self.stdout.write(f"{label:<12} {doc.get(key)}")
        self.stdout.write(f"payload      {as_json(doc.get(F.PAYLOAD) or {})}")
        history = doc.get(F.ATTEMPT_HISTORY) or []
        self.stdout.write(f"\nattempts ({len(history)} most recent):")
        if history:
            rows = [
                (h.get("at"), "permanent" if h.get("permanent") else "transient", h.get("error"))
                for h in history
            ]
            self.stdout.write(table(("AT", "KIND", "ERROR"), rows, max_width=90))
        audit = doc.get(F.AUDIT) or []
        if audit:
            self.stdout.write("\noperator actions:")
            actions = [(a.get("at"), a.get("by"), a.get("action"), a.get("reason")) for a in audit]
            self.stdout.write(table(("AT", "BY", "ACTION", "REASON"), actions))
        self.stdout.write(f"\nparked behind it: {len(detail.parked)}")
        if detail.parked:
            parked = [(p["_id"], p.get(F.AGGREGATE_VERSION), p.get(F.EVENT_TYPE)) for p in detail.parked]
            self.stdout.write(table(("EVENT ID", "V", "TYPE"), parked))

    def _retry(self, outbox: OutboxStore, options: dict[str, Any]) -> None:
        by = options["by"] or getpass.getuser()
        if options["all"] == bool(options["event_ids"]):
            raise CommandError("name the dead letters to retry, or pass --all (not both)")
        if options["all"]:
            results = deadletters.retry_all(outbox, by=by)
        else:
            results = [deadletters.retry(outbox, event_id(raw), by=by) for raw in options["event_ids"]]
        self._report(results)

    def _skip(self, outbox: OutboxStore, options: dict[str, Any]) -> None:
        by = options["by"] or getpass.getuser()
        try:
            result = deadletters.skip(outbox, event_id(options["event_id"]), reason=options["reason"], by=by)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self._report([result])

    def _report(self, results: list[deadletters.ActionResult]) -> None:
        if self.as_json:
            self.stdout.write(as_json([asdict(result) for result in results]))
        for result in results:
            if self.as_json:
                break
            if result.succeeded:
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{result.action} {result.event_id}: {result.status}; "
                        f"{result.released} parked event(s) released"
                    )
                )
            else:
                self.stdout.write(
                    self.style.WARNING(f"{result.action} {result.event_id}: {result.status} — {result.error}")
                )
        if not results and not self.as_json:
            self.stdout.write("No dead letters.")
        if any(not result.succeeded for result in results):
            raise CommandError("some entries are still not applied (see above)")
