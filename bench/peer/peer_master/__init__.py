"""Benchmark peer: the django-cqrs master app."""
