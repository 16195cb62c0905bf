"""Django app configuration for the write side."""

from django.apps import AppConfig


class AccountsWriteConfig(AppConfig):
    name = "accounts_write"
    verbose_name = "Accounts (write side)"
