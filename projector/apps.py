"""Django app configuration for the sync engine."""

from django.apps import AppConfig


class ProjectorConfig(AppConfig):
    name = "projector"
    verbose_name = "Projector (sync engine)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from projector.metrics import register_collectors

        register_collectors()
