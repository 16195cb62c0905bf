"""Delivery: ``manage.py demo_login`` — a staff login for /admin/ on a developer machine (make demo)."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Create (or reset) a staff superuser for /admin/ with a fresh random password and print it. "
        "Only where DEMO_STAFF_LOGIN is on (local settings)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo", help="Login name (default: demo).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_STAFF_LOGIN:
            raise CommandError(
                "demo_login only runs with local settings (DEMO_STAFF_LOGIN); "
                "elsewhere create staff users with createsuperuser"
            )
        username: str = options["username"]
        password = secrets.token_urlsafe(12)
        user, created = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        action = "created" if created else "reset"
        self.stdout.write(self.style.SUCCESS(f"/admin/ login {action}: user {username}, password {password}"))
