"""Conformance entry point: `python -m tests.conformance [--spec NAME ...] [--min-rate 95]` (see run.py)."""

from __future__ import annotations

import sys

from tests.conformance.run import main

if __name__ == "__main__":
    sys.exit(main())
