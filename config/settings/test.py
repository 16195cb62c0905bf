"""Settings: the test suite (fast hashing, quiet logs, a fixed secret key)."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-secret-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["root"]["level"] = env.str("LOG_LEVEL", "WARNING").upper()  # noqa: F405
LOGGING["handlers"]["console"]["formatter"] = "text"  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = False
# No periodic reconcile in tests unless a test turns it on.
RECONCILE_INTERVAL_SECONDS = env.float("RECONCILE_INTERVAL_SECONDS", 0.0)
if not RECONCILE_INTERVAL_SECONDS:
    CELERY_BEAT_SCHEDULE.pop("projector-reconcile", None)  # noqa: F405
