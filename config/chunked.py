"""Delivery: request bodies sent in chunks (``Transfer-Encoding: chunked``) reach Django with a length.

Django reads ``CONTENT_LENGTH`` bytes of a request body and treats a request without one as
bodiless, so a chunked JSON command would look empty ("Field required"). gunicorn decodes the
chunks and marks the stream as ending by itself (``wsgi.input_terminated``, PEP 3333 extension):
this wrapper reads it, at most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes, and passes it on with its
length. A server that cannot end such a stream gets 411 Length Required instead of a wrong answer.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

from config.api_errors import error_body

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
FALLBACK_LIMIT = 10 * 1024 * 1024


def is_chunked(environ: dict[str, Any]) -> bool:
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() and not environ.get(
        "CONTENT_LENGTH"
    )


def _answer(start_response: StartResponse, status: str, code: str, message: str) -> list[bytes]:
    body = json.dumps(error_body(code, message)).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class ChunkedBodyMiddleware:
    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not is_chunked(environ):
            return self.app(environ, start_response)
        if not environ.get("wsgi.input_terminated"):
            return _answer(
                start_response,
                "411 Length Required",
                "length_required",
                "Send the body with a Content-Length: this server cannot read chunked bodies.",
            )
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or FALLBACK_LIMIT
        body = environ["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            return _answer(
                start_response,
                "413 Request Entity Too Large",
                "payload_too_large",
                "The request body is too large.",
            )
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        del environ["HTTP_TRANSFER_ENCODING"]
        return self.app(environ, start_response)
