"""Deployment: gunicorn's settings (``gunicorn -c config/gunicorn.py config.wsgi:application``).

Threads, not one process per request: a request that waits (``?min_version=``, a slow database)
holds one of ``GUNICORN_THREADS`` threads, not a whole worker. Slow clients are nginx's to wait
for (it buffers whole requests); these limits are the second line. Prometheus runs in
multiprocess mode: every worker writes its samples to ``PROMETHEUS_MULTIPROC_DIR``, and a scrape of
``/metrics`` sums them, whichever worker answers.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/cqrs-sync-prometheus")  # noqa: S108 (a private dir)

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 30
graceful_timeout = 30
keepalive = 5
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"
# Only nginx reaches gunicorn (compose publishes nginx alone): trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server: Any) -> None:
    """Samples of a previous run's workers must not be summed into this run's."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
