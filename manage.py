#!/usr/bin/env python
"""Entry point: Django's command-line utility for this project (DJANGO_SETTINGS_MODULE must be set)."""

import sys


def main() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from config.settings_module import require_settings_module

    try:
        require_settings_module("manage.py")
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"{exc}\n")
        sys.exit(2)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
