"""Delivery: the WSGI application for gunicorn (DJANGO_SETTINGS_MODULE must be set).

Django reads no request body sent in chunks (no Content-Length); ``ChunkedBodyMiddleware`` reads
what gunicorn decoded and hands it to Django with its length.
"""

from config.settings_module import require_settings_module

require_settings_module("config.wsgi (gunicorn)")

from django.core.wsgi import get_wsgi_application  # noqa: E402 (after the settings check)

from config.chunked import ChunkedBodyMiddleware  # noqa: E402

application = ChunkedBodyMiddleware(get_wsgi_application())
