"""Delivery: ``manage.py apikey create NAME --scopes read,write | list | revoke NAME``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.apikeys import SCOPES, ApiKeyError, create_key, list_keys, revoke_key


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value is not None else "-"


class Command(BaseCommand):
    help = (
        "API keys for the JSON API (sent as 'Authorization: Bearer KEY'). 'create' prints the new "
        "key alone on the last line of its output; it is shown once and stored only as a digest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{create,list,revoke}")
        create = actions.add_parser("create", help="Create a key and print it (once).")
        create.add_argument("name", help="Who uses the key: letters, digits, '.', '_', '-'.")
        create.add_argument(
            "--scopes",
            default="read",
            help=f"Comma-separated, of {', '.join(SCOPES)} (default: read).",
        )
        actions.add_parser("list", help="Every key: name, prefix, scopes, created, last used, revoked.")
        revoke = actions.add_parser("revoke", help="Revoke a key: it stops working at once.")
        revoke.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                self._create(options["name"], options["scopes"])
            elif options["action"] == "revoke":
                key = revoke_key(options["name"])
                self.stdout.write(f"revoked {key.name} ({key.prefix}…) at {_when(key.revoked_at)}")
            else:
                self._list()
        except ApiKeyError as exc:
            raise CommandError(str(exc)) from exc

    def _create(self, name: str, scopes: str) -> None:
        key, raw_key = create_key(name, scopes)
        self.stdout.write(
            f"created {key.name} with scopes {','.join(key.scopes)}; copy the key now, it is not shown again:"
        )
        self.stdout.write(raw_key)

    def _list(self) -> None:
        keys = list_keys()
        rows = [("NAME", "PREFIX", "SCOPES", "CREATED", "LAST USED", "REVOKED")] + [
            (
                key.name,
                key.prefix + "…",
                ",".join(key.scopes),
                _when(key.created_at),
                _when(key.last_used_at),
                _when(key.revoked_at),
            )
            for key in keys
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
        self.stdout.write(f"\n{len(keys)} key(s), {sum(1 for key in keys if key.active)} active")
