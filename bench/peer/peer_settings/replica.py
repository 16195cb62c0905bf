"""Benchmark peer: the django-cqrs replica side (``cqrs_consume`` applies what the master publishes)."""

from __future__ import annotations

import os

from peer_settings.common import *  # noqa: F403
from peer_settings.common import AMQP_URL, QUEUE, mariadb

INSTALLED_APPS = ["dj_cqrs", "peer_replica"]
DATABASES = {"default": mariadb(os.environ.get("BENCH_PEER_REPLICA_DB", "bench_peer_replica"))}
CQRS = {"transport": "dj_cqrs.transport.RabbitMQTransport", "url": AMQP_URL, "queue": QUEUE}
