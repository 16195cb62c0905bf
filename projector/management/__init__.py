"""Delivery: management commands of the sync engine."""
