"""Delivery: API keys — who may call the JSON API, with which scopes (only a digest is stored)."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

KEY_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class ApiKey(models.Model):
    """One client's key. The key itself is shown once at creation; MySQL keeps its SHA-256 digest."""

    name = models.CharField(
        max_length=64,
        unique=True,
        validators=[RegexValidator(KEY_NAME_PATTERN, "Letters, digits, '.', '_' and '-' (at most 64).")],
        help_text="Who uses the key (a service, a team). Kept after revocation, so never reused.",
    )
    prefix = models.CharField(max_length=16, help_text="The key's first characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    can_read = models.BooleanField("scope read", default=True, help_text="GET routes: accounts, sync status.")
    can_write = models.BooleanField("scope write", default=False, help_text="POST routes: the commands.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("name",)
        verbose_name = "API key"

    def __str__(self) -> str:
        return self.name

    @property
    def scopes(self) -> list[str]:
        return [scope for scope, granted in (("read", self.can_read), ("write", self.can_write)) if granted]

    @property
    def active(self) -> bool:
        return self.revoked_at is None
