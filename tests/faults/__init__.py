"""Fault tests: kills, outages, duplicates, lost history, competing projectors."""
