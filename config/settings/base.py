"""Settings: everything read from the environment, with defaults that work on a developer machine."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured


class StrictEnv(environ.Env):
    """django-environ, strict: a number or boolean left empty takes its default, and a value that does
    not parse fails naming its variable (plain django-environ reads "maybe" as false, "5x" as 5.0, and
    a value starting with "$" as the name of another variable)."""

    KINDS = {int: "an integer", float: "a number", bool: "a boolean (true/false)"}
    BOOLEAN_TRUE_STRINGS = ("1", "true", "yes", "on")
    BOOLEAN_FALSE_STRINGS = ("0", "false", "no", "off")

    def get_value(
        self, var: str, cast: Any = None, default: Any = environ.Env.NOTSET, parse_default: bool = False
    ) -> Any:
        raw = self.ENVIRON.get(var)
        if raw is None or (raw == "" and cast in self.KINDS):
            if default is self.NOTSET:
                raise ImproperlyConfigured(f"Set the {var} environment variable")
            return default
        try:
            return self.parse_value(raw, cast)
        except ValueError as exc:
            kind = self.KINDS[cast]
            raise ImproperlyConfigured(f"environment variable {var} must be {kind}, got {raw!r}") from exc

    @classmethod
    def parse_value(cls, value: str, cast: Any) -> Any:
        if cast is bool:
            word = value.strip().lower()
            if word not in cls.BOOLEAN_TRUE_STRINGS + cls.BOOLEAN_FALSE_STRINGS:
                raise ValueError(value)
            return word in cls.BOOLEAN_TRUE_STRINGS
        if cast is float:
            return float(value)
        if cast is list:
            return [item.strip() for item in value.split(",") if item.strip()]
        return super().parse_value(value, cast)


env = StrictEnv()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env.str("DJANGO_SECRET_KEY", "")
DEBUG = env.bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prometheus",
    # Counts failed logins and locks out who keeps failing (admin and demo page logins).
    "axes",
    # Listed so that /api/docs renders django-ninja's bundled Swagger UI, not one from a CDN.
    "ninja",
    # The composition root: the demo page shell and the demo's management commands.
    "config",
    "accounts_write",
    "accounts_read",
    "projector",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.DemoLoginRequiredMiddleware",
    "config.middleware.ApiMethodNotAllowedMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Read database (MySQL / MariaDB, Django ORM) ---------------------------------------------
DATABASE_URL = env.str("DATABASE_URL", "mysql://root:@127.0.0.1:3306/cqrs_read")


def read_database(url: str) -> dict[str, Any]:
    config: dict[str, Any] = {**env.db_url_config(url), "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    if config["ENGINE"] == "django.db.backends.mysql":
        # READ COMMITTED: the projector locks the rows it gates on, and plain reads never block.
        # Timeouts: a MySQL that vanishes without closing its sockets must not hang the projector.
        config["OPTIONS"] = {
            "charset": "utf8mb4",
            "isolation_level": "read committed",
            "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", 5),
            "read_timeout": env.int("DATABASE_READ_TIMEOUT", 30),
            "write_timeout": env.int("DATABASE_WRITE_TIMEOUT", 30),
        }
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    return config


DATABASES = {"default": read_database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Write database (MongoDB replica set, pymongo) --------------------------------------------
MONGO_URL = env.str("MONGO_URL", "mongodb://127.0.0.1:27017/?replicaSet=rs0")
MONGO_DB = env.str("MONGO_DB", "cqrs_write")
# An unreachable MongoDB must answer 503 within about two seconds, not hang a request.
MONGO_SERVER_SELECTION_TIMEOUT_MS = env.int("MONGO_SERVER_SELECTION_TIMEOUT_MS", 2000)
MONGO_CONNECT_TIMEOUT_MS = env.int("MONGO_CONNECT_TIMEOUT_MS", 2000)
# A command that clashes with concurrent writers (write conflict, stale version) is retried with
# jittered backoff for up to this long, then answered 409 (ADR 0018).
WRITE_RETRY_BUDGET_SECONDS = env.float("WRITE_RETRY_BUDGET_SECONDS", 5.0)

# --- Redis and Celery -------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}

# --- Projector (sync engine) ------------------------------------------------------------------
# Smart batching (ADR 0017): each batch is what the change stream has delivered so far, up to
# BATCH_SIZE events per MySQL transaction, applied without waiting for more; events arriving
# while a batch commits make the next one. MAX_AWAIT_MS only bounds the poll of an idle stream.
PROJECTOR_BATCH_SIZE = env.int("PROJECTOR_BATCH_SIZE", 500)
PROJECTOR_MAX_AWAIT_MS = env.int("PROJECTOR_MAX_AWAIT_MS", 50)
# One active projector: a lease row in MySQL renewed by heartbeat; a standby polls for it.
PROJECTOR_LEASE_SECONDS = env.float("PROJECTOR_LEASE_SECONDS", 10.0)
PROJECTOR_STANDBY_POLL_SECONDS = env.float("PROJECTOR_STANDBY_POLL_SECONDS", 1.0)
# Lease on outbox entries being applied (in_progress); an expired one is picked up by the retry.
PROJECTOR_ENTRY_LEASE_SECONDS = env.float("PROJECTOR_ENTRY_LEASE_SECONDS", 30.0)
# Failed entries: exponential backoff from BASE, capped at MAX.
PROJECTOR_RETRY_BACKOFF_BASE_SECONDS = env.float("PROJECTOR_RETRY_BACKOFF_BASE_SECONDS", 1.0)
PROJECTOR_RETRY_BACKOFF_MAX_SECONDS = env.float("PROJECTOR_RETRY_BACKOFF_MAX_SECONDS", 300.0)
# After this many permanent failures an entry is dead (a dead letter); transient ones do not count.
PROJECTOR_MAX_ATTEMPTS = env.int("PROJECTOR_MAX_ATTEMPTS", 8)
# A pending entry older than this was missed by the change stream; the retry sweep applies it.
PROJECTOR_PENDING_GRACE_SECONDS = env.float("PROJECTOR_PENDING_GRACE_SECONDS", 10.0)
PROJECTOR_RETRY_INTERVAL_SECONDS = env.float("PROJECTOR_RETRY_INTERVAL_SECONDS", 5.0)
PROJECTOR_RETRY_SWEEP_LIMIT = env.int("PROJECTOR_RETRY_SWEEP_LIMIT", 5000)
# Reconnect after MySQL or MongoDB went away: exponential backoff capped at this.
PROJECTOR_RECONNECT_MAX_SECONDS = env.float("PROJECTOR_RECONNECT_MAX_SECONDS", 5.0)
# An idle projector still moves its checkpoint forward this often (fresh resume token).
PROJECTOR_IDLE_CHECKPOINT_SECONDS = env.float("PROJECTOR_IDLE_CHECKPOINT_SECONDS", 5.0)
# Prometheus metrics of the projector process (0: not served).
PROJECTOR_METRICS_PORT = env.int("PROJECTOR_METRICS_PORT", 0)
# GET /api/accounts/{id}?min_version=N waits at most this long for the projection to reach N.
READ_YOUR_WRITES_TIMEOUT_SECONDS = env.float("READ_YOUR_WRITES_TIMEOUT_SECONDS", 2.0)
READ_YOUR_WRITES_POLL_SECONDS = env.float("READ_YOUR_WRITES_POLL_SECONDS", 0.02)

CELERY_BEAT_SCHEDULE["projector-retry-due-entries"] = {
    "task": "projector.retry_due_entries",
    "schedule": PROJECTOR_RETRY_INTERVAL_SECONDS,
    # A sweep that could not start before the next one is due is dropped, not queued up.
    "options": {"expires": PROJECTOR_RETRY_INTERVAL_SECONDS},
}

# Reconcile (write state vs read state) every this many seconds from Celery beat (0: off).
RECONCILE_INTERVAL_SECONDS = env.float("RECONCILE_INTERVAL_SECONDS", 3600.0)
if RECONCILE_INTERVAL_SECONDS > 0:
    CELERY_BEAT_SCHEDULE["projector-reconcile"] = {
        "task": "projector.reconcile_read_models",
        "schedule": RECONCILE_INTERVAL_SECONDS,
        "options": {"expires": RECONCILE_INTERVAL_SECONDS},
    }

# --- Who may do what (docs/SECURITY.md) ------------------------------------------------------
# The JSON API: bearer API keys (config.apikeys). A recognised key is remembered this long in each
# process, so a revocation reaches every process within it.
API_KEY_CACHE_SECONDS = env.float("API_KEY_CACHE_SECONDS", 5.0)
# Commands a minute per API key (a sliding window in Redis); 0 turns the limit off (benchmarks).
API_WRITE_RATE_LIMIT = env.int("API_WRITE_RATE_LIMIT", 600)
RATE_LIMIT_STORAGE_URL = REDIS_URL
# ?min_version= waits hold a server thread: at most this many wait at once in a process.
READ_YOUR_WRITES_MAX_WAITERS = env.int("READ_YOUR_WRITES_MAX_WAITERS", 4)

# The demo page and the admin: Django sessions, CSRF tokens, and a login page for the demo.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "demo"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Strict"
AUTHENTICATION_BACKENDS = [
    "config.auth_backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# After AXES_FAILURE_LIMIT failed logins from one address, that address may not log in for
# AXES_COOLOFF_MINUTES (answer 429); a success clears the count.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", 15.0))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind the proxy (compose: nginx), the client's address is in X-Forwarded-For, which nginx sets
# (it never passes on the client's own). Without a proxy, only the socket's address counts.
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", False)
AXES_CLIENT_IP_CALLABLE = "config.auth_backends.client_address"

# Content-Security-Policy: every page (demo, admin, API docs) loads only this host's own files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Prometheus: with a token set, /metrics (and the projector's metrics port) want it as a bearer
# token; production requires one. Empty: open (developer machines).
METRICS_TOKEN = env.str("METRICS_TOKEN", "")

# --- Internationalisation, static files -------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The demo page's own assets (vendored htmx, CSS, JS): every page is served from this host alone.
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- The demo page ------------------------------------------------------------------------------
# The fault buttons (pause and resume the projector). Production settings refuse it.
DEMO_FAULTS = env.bool("DEMO_FAULTS", False)
# `manage.py demo_login` may create a staff login for /admin/ (local settings only).
DEMO_STAFF_LOGIN = False

# --- Logging: JSON lines by default, plain text on request -------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", "json")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)-7s %(name)s [%(process)d] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pymongo": {"level": "WARNING"},
    },
}
