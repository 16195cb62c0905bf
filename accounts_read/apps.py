"""Django app configuration for the read side."""

from django.apps import AppConfig


class AccountsReadConfig(AppConfig):
    name = "accounts_read"
    verbose_name = "Accounts (read side)"
    default_auto_field = "django.db.models.BigAutoField"
