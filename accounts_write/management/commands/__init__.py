"""Delivery: management commands of the write side."""
