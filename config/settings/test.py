"""Settings: the test suite (fast hashing, quiet logs, a fixed secret key)."""

from .base import *  # noqa: F403
from .base import env_str

SECRET_KEY = "test-only-secret-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["root"]["level"] = env_str("LOG_LEVEL", "WARNING").upper()  # noqa: F405
LOGGING["handlers"]["console"]["formatter"] = "text"  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = False
