"""Settings: developer machine (DEBUG on, a fixed development secret key, a demo staff login)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
LOG_FORMAT = env.str("LOG_FORMAT", "text")
DEMO_STAFF_LOGIN = True
LOGGING["handlers"]["console"]["formatter"] = "json" if LOG_FORMAT == "json" else "text"  # noqa: F405
