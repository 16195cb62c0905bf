"""Delivery: the Celery application (Redis broker); tasks are found in the apps' tasks modules."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("cqrs_sync")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
