"""Delivery: whose command is it — each caller's own namespace of idempotency keys (command ids).

The command id stored with a command's result is the caller's namespace and the key it chose:
``key-7/open-alice-1`` for API key 7, ``user-3/<uuid>`` for the demo page's user 3. Two callers who
choose the same key run two commands; neither can read the other's result by replaying it.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def scoped_command_id(namespace: str, key: str) -> str:
    return f"{namespace}/{key}"


def user_namespace(user: AbstractBaseUser | AnonymousUser) -> str:
    """A logged-in user's namespace (the demo page's forms); the page requires a login."""
    if user.pk is None:
        raise PermissionError("commands from the demo page need a logged-in user")
    return f"user-{user.pk}"
