"""Unit tests of the write side: domain and handlers, no services."""
