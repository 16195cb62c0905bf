"""Delivery: management commands of the sync engine (thin: parse, call, report)."""
