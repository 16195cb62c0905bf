"""Django app configuration of the composition root (the demo page shell, the demo's commands)."""

from django.apps import AppConfig


class ProjectConfig(AppConfig):
    name = "config"
    verbose_name = "CQRS Sync"
