"""Sync engine observability: the projector's Prometheus port, behind METRICS_TOKEN like /metrics."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, make_wsgi_app

from config.metrics import token_allows


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes come every few seconds; they are not worth a log line each."""


def guarded(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    def answer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not token_allows(environ.get("HTTP_AUTHORIZATION")):
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", 'Bearer realm="metrics"')],
            )
            return [b"Send METRICS_TOKEN as 'Authorization: Bearer TOKEN'.\n"]
        return app(environ, start_response)

    return answer


def serve_metrics(port: int, address: str = "") -> WSGIServer:
    """Serve the process's metrics on ``port`` in a daemon thread; returns the server."""
    server = make_server(address, port, guarded(make_wsgi_app(REGISTRY)), _ThreadingServer, _QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
