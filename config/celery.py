"""Delivery: the Celery application (Redis broker); tasks are found in the apps' tasks modules.

DJANGO_SETTINGS_MODULE must be set (the worker and beat refuse to guess).
"""

from celery import Celery

from config.settings_module import require_settings_module

require_settings_module("config.celery (Celery worker or beat)")

app = Celery("cqrs_sync")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
