"""Project package: settings, URL routing, API composition, Celery app."""
