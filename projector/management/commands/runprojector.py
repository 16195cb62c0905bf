"""Delivery: ``manage.py runprojector`` — run the sync engine until SIGTERM/SIGINT."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from projector.bootstrap import build_runner, default_owner
from projector.metrics_server import serve_metrics


class Command(BaseCommand):
    help = (
        "Apply outbox events to the read models: catch up from the outbox, then tail the change "
        "stream. One projector leads; others wait as hot standby. Stops cleanly on SIGTERM/SIGINT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--owner", default=None, help="Name of this projector in the leader lease.")
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=settings.PROJECTOR_METRICS_PORT,
            help="Serve Prometheus metrics on this port (0: off); METRICS_TOKEN, if set, is required.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            # Only flag it: the loop finishes (or rolls back) the batch in hand, then exits.
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        if options["metrics_port"]:
            serve_metrics(options["metrics_port"])
        owner = options["owner"] or default_owner()
        self.stdout.write(f"projector {owner} running (SIGTERM or Ctrl-C stops it)")
        build_runner(owner=owner, stop=stop).run()
        self.stdout.write(self.style.SUCCESS(f"projector {owner} stopped"))
