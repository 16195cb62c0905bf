"""Benchmark peer: the django-cqrs master side (its save() publishes to RabbitMQ)."""

from __future__ import annotations

import os

from peer_settings.common import *  # noqa: F403
from peer_settings.common import AMQP_URL, mariadb

INSTALLED_APPS = ["dj_cqrs", "peer_master"]
DATABASES = {"default": mariadb(os.environ.get("BENCH_PEER_MASTER_DB", "bench_peer_master"))}
CQRS = {"transport": "dj_cqrs.transport.RabbitMQTransport", "url": AMQP_URL}
