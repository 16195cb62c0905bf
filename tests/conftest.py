"""Root test configuration: shared fixtures and plugins for every test layer."""

pytest_plugins = ["tests.mongo_standin.pytest_plugin"]
