"""Settings: production — refuses to start with placeholder secrets, default passwords or debug on.

Secure by default: HTTPS only (redirect, HSTS, secure cookies) behind a proxy that says so in
``X-Forwarded-Proto``. A plain-HTTP trial on localhost turns that off explicitly
(``DJANGO_SECURE_SSL_REDIRECT=false``, ``DJANGO_SECURE_COOKIES=false``, ``DJANGO_HSTS_SECONDS=0``).
"""

from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    DATABASE_URL,
    DEBUG,
    DEMO_FAULTS,
    METRICS_TOKEN,
    MIDDLEWARE,
    MONGO_URL,
    REDIS_URL,
    SECRET_KEY,
    env,
)

# Values copied from examples and compose files: never a real secret.
PLACEHOLDERS = {
    "",
    "change-me",
    "changeme",
    "change-me-in-.env",
    "secret",
    "password",
    "root",
    "cqrs",
    "admin",
    "mysql",
    "redis",
    "mongo",
    "guest",
    "test",
    "example",
    "build-only",
}
MIN_SECRET_KEY_LENGTH = 50
MIN_TOKEN_LENGTH = 32
GENERATE = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def looks_like_a_placeholder(value: str) -> bool:
    lowered = value.lower()
    return lowered in PLACEHOLDERS or any(word in lowered for word in ("change-me", "changeme", "insecure"))


def refuse_weak_secrets() -> None:
    if not SECRET_KEY:
        raise ImproperlyConfigured(f"DJANGO_SECRET_KEY must be set in production; {GENERATE}")
    if (
        looks_like_a_placeholder(SECRET_KEY)
        or len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH
        or len(set(SECRET_KEY)) < 5
    ):
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY is a placeholder or too weak (at least {MIN_SECRET_KEY_LENGTH} "
            f"random characters); {GENERATE}"
        )
    if looks_like_a_placeholder(METRICS_TOKEN) or len(METRICS_TOKEN) < MIN_TOKEN_LENGTH:
        raise ImproperlyConfigured(
            f"METRICS_TOKEN must be set in production (at least {MIN_TOKEN_LENGTH} random characters; "
            f"Prometheus sends it as a bearer token); {GENERATE}"
        )
    if not urlparse(DATABASE_URL).password:
        raise ImproperlyConfigured("DATABASE_URL has no password: the read database must require one")
    for name, url in (("DATABASE_URL", DATABASE_URL), ("MONGO_URL", MONGO_URL), ("REDIS_URL", REDIS_URL)):
        password = urlparse(url).password
        if password is not None and looks_like_a_placeholder(password):
            raise ImproperlyConfigured(f"{name} uses a default password; set a real one")


refuse_weak_secrets()
if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in production")
if DEMO_FAULTS:
    raise ImproperlyConfigured("DEMO_FAULTS must be off in production: it lets anyone pause the projector")

# gunicorn serves no files: whitenoise serves the collected static files (admin, API docs, demo page).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# HTTPS: the proxy terminates TLS (or sits behind what does) and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Probes and scrapes come from inside the network, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", True)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", True)
