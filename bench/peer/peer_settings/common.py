"""Benchmark peer: settings shared by the django-cqrs master and replica sides."""

from __future__ import annotations

import os
from typing import Any

SECRET_KEY = "benchmark-peer-not-secret"  # a local benchmark, never deployed
DEBUG = False  # DEBUG would keep every query in memory
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
AMQP_URL = os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
QUEUE = os.environ.get("BENCH_PEER_QUEUE", "bench_account_replica")


def mariadb(name: str) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.mysql",
        "NAME": name,
        "HOST": os.environ.get("BENCH_MYSQL_HOST", "127.0.0.1"),
        "PORT": int(os.environ.get("BENCH_MYSQL_PORT", "3306")),
        "USER": "root",
        "PASSWORD": "",
        # Persistent connections: with Django's default (0) the consumer reconnects per message.
        "CONN_MAX_AGE": None,
        "OPTIONS": {"charset": "utf8mb4"},
    }


LOGGING = {  # django-cqrs' warnings (lost, duplicate, out-of-order packages) go to stderr
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django-cqrs": {"handlers": ["console"], "level": "WARNING", "propagate": False}},
}
