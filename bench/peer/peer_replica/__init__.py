"""Benchmark peer: the django-cqrs replica app."""
