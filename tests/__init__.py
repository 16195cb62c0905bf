"""Test suite: unit, integration, e2e and fault tests."""
