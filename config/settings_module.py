"""Entry points: every process names its settings; none falls back to the developer settings silently."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

CHOICES = (
    "config.settings.local (a developer machine: DEBUG on, `make demo`), "
    "config.settings.production (`docker compose up`, any server) or config.settings.test (`make test`)"
)


def require_settings_module(process: str) -> str:
    """The DJANGO_SETTINGS_MODULE in the environment, or ``ImproperlyConfigured`` saying what to set."""
    name = os.environ.get("DJANGO_SETTINGS_MODULE", "").strip()
    if not name:
        raise ImproperlyConfigured(
            f"{process}: DJANGO_SETTINGS_MODULE is not set. Set it to {CHOICES}; "
            "for example `export DJANGO_SETTINGS_MODULE=config.settings.local`."
        )
    return name
