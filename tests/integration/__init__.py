"""Integration tests: real services (MySQL/MariaDB, Redis, MongoDB or its stand-in)."""
