"""Delivery: the API-key service — create, list, revoke, and recognise a key sent by a client;
and each client's own namespace of idempotency keys (command ids).

A key is ``cqrs_`` followed by 43 random URL-safe characters (256 bits). Only its SHA-256 digest is
stored: a random key of that length cannot be guessed from its digest, so a slow password hash
would only cost CPU on every request. Recognised keys are remembered in this process for
``API_KEY_CACHE_SECONDS``, so a request costs no MySQL query; a revocation therefore takes effect
within that time in every process (at once in the process that revoked it).

The command id stored with a command's result is the caller's namespace and the key it chose:
``key-7/open-alice-1`` for API key 7, ``user-3/<uuid>`` for the demo page's user 3. Two callers who
choose the same key run two commands; neither can read the other's result by replaying it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.models import KEY_NAME_PATTERN, ApiKey

KEY_PREFIX = "cqrs_"
SCOPES = ("read", "write")
_SHOWN_PREFIX_LENGTH = 12
_LAST_USED_RESOLUTION_SECONDS = 60.0


class ApiKeyError(ValueError):
    """A key cannot be created or revoked as asked (the message says why)."""


@dataclass(frozen=True)
class ApiClient:
    """The caller a key identifies: its key's id and name, and what it may do."""

    key_id: int
    name: str
    scopes: frozenset[str]
    prefix: str = ""

    @property
    def budget_id(self) -> str:
        """Whose write budget (rate limit): the key, never a former key that had the same id."""
        return f"{self.key_id}-{self.prefix}"

    @property
    def namespace(self) -> str:
        """Its own space of idempotency keys (command ids): ``key-<id>``."""
        return f"key-{self.key_id}"


def digest_of(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8", "surrogatepass")).hexdigest()


def parse_scopes(text: str | Iterable[str]) -> list[str]:
    """``"read,write"`` (or a list) as known scopes, in a stable order; ``ApiKeyError`` otherwise."""
    items = text.split(",") if isinstance(text, str) else list(text)
    wanted = {item.strip() for item in items if item.strip()}
    unknown = sorted(wanted - set(SCOPES))
    if unknown or not wanted:
        raise ApiKeyError(
            f"scopes must be one or more of {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}"
        )
    return [scope for scope in SCOPES if scope in wanted]


def create_key(name: str, scopes: str | Iterable[str] = SCOPES) -> tuple[ApiKey, str]:
    """A new key named ``name``: the stored row, and the key itself (shown once, never stored)."""
    granted = parse_scopes(scopes)
    if not re.fullmatch(KEY_NAME_PATTERN, name):
        raise ApiKeyError(f"name {name!r} must be 1-64 letters, digits, '.', '_' or '-'")
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        prefix=raw_key[:_SHOWN_PREFIX_LENGTH],
        digest=digest_of(raw_key),
        can_read="read" in granted,
        can_write="write" in granted,
    )
    try:
        with transaction.atomic():
            key.save()
    except IntegrityError:
        raise ApiKeyError(f"a key named {name!r} exists already (revoked keys keep their names)") from None
    return key, raw_key


def list_keys() -> list[ApiKey]:
    return list(ApiKey.objects.order_by("name"))


def revoke_key(name: str) -> ApiKey:
    """Revoke the key named ``name`` (kept, for the record); ``ApiKeyError`` if there is none."""
    key = ApiKey.objects.filter(name=name).first()
    if key is None:
        raise ApiKeyError(f"there is no key named {name!r}")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    forget(key.digest)
    return key


# --- recognising a key -------------------------------------------------------------------------

_cache_lock = threading.Lock()
_cache: dict[str, tuple[ApiClient, float]] = {}


def forget(digest: str | None = None) -> None:
    """Drop a remembered key (``None``: all of them)."""
    with _cache_lock:
        if digest is None:
            _cache.clear()
        else:
            _cache.pop(digest, None)


def client_for(raw_key: str) -> ApiClient | None:
    """The client an active key belongs to, or None for an unknown or revoked key."""
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 100:
        return None
    digest = digest_of(raw_key)
    now = time.monotonic()
    with _cache_lock:
        remembered = _cache.get(digest)
    if remembered is not None and remembered[1] > now:
        return remembered[0]
    key = ApiKey.objects.filter(digest=digest, revoked_at__isnull=True).first()
    if key is None:
        forget(digest)
        return None
    _note_use(key)
    client = ApiClient(key.pk, key.name, frozenset(key.scopes), key.prefix)
    ttl = settings.API_KEY_CACHE_SECONDS
    if ttl > 0:
        with _cache_lock:
            _cache[digest] = (client, now + ttl)
    return client


def _note_use(key: ApiKey) -> None:
    # At most one write a minute per key: `apikey list` shows roughly when it was last used.
    now = timezone.now()
    last = key.last_used_at
    if last is None or (now - last).total_seconds() >= _LAST_USED_RESOLUTION_SECONDS:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)


# --- whose command is it -----------------------------------------------------------------------


def scoped_command_id(namespace: str, key: str) -> str:
    return f"{namespace}/{key}"


def user_namespace(user: AbstractBaseUser | AnonymousUser) -> str:
    """A logged-in user's namespace (the demo page's forms); the page requires a login."""
    if user.pk is None:
        raise PermissionError("commands from the demo page need a logged-in user")
    return f"user-{user.pk}"
